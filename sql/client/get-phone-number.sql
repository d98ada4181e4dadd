-- ecliptix.get_phone_number: $1 phone unique_id (no row when not found).
SELECT phone_number, region FROM ecliptix.get_phone_number($1::uuid);
