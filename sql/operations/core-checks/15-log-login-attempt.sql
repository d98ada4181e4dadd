-- verify, core check: record a login attempt ($1 phone). Expect logged.
SELECT * FROM ecliptix.log_login_attempt($1, 'verify', true);
