-- verify, core check: record a membership attempt ($1 phone unique_id). Expect logged.
SELECT * FROM ecliptix.log_membership_attempt($1::uuid, 'verify', true);
