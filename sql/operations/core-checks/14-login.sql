-- verify, core check: log in with the phone ($1 phone). Expect success.
SELECT * FROM ecliptix.login_membership($1);
