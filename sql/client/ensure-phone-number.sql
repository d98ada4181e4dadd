-- ecliptix.ensure_phone_number: $1 E.164 number, $2 region, $3 app device unique_id (nullable).
SELECT outcome, phone_unique_id, success FROM ecliptix.ensure_phone_number($1::varchar, $2::varchar, $3::uuid);
