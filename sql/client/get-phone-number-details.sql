-- ecliptix.get_phone_number_details: $1 phone unique_id (no row when not found).
SELECT phone_number, region, phone_unique_id FROM ecliptix.get_phone_number_details($1::uuid);
