-- verify, core check: confirm the sign-in whose key the login released ($1 phone). Expect logged.
SELECT * FROM ecliptix.log_login_attempt($1, 'verify', true);
