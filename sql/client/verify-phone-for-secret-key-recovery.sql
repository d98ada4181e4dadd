-- ecliptix.verify_phone_for_secret_key_recovery: $1 E.164 number, $2 region (nullable).
SELECT outcome, phone_unique_id FROM ecliptix.verify_phone_for_secret_key_recovery($1::varchar, $2::varchar);
