-- ecliptix.log_membership_attempt: $1 phone unique_id, $2 outcome, $3 success.
SELECT outcome, membership_attempt_unique_id FROM ecliptix.log_membership_attempt($1::uuid, $2::varchar, $3::boolean);
