-- ecliptix.log_login_attempt: $1 E.164 number, $2 outcome, $3 success.
SELECT outcome, login_attempt_id FROM ecliptix.log_login_attempt($1::varchar, $2::varchar, $3::boolean);
