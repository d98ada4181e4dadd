-- verify, core check: the phone may recover its key ($1 phone). Expect eligible_for_recovery.
SELECT * FROM ecliptix.verify_phone_for_secret_key_recovery($1, 'US');
