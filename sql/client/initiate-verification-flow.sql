-- ecliptix.initiate_verification_flow: $1 app device, $2 phone unique_id, $3 purpose, $4 connection id (nullable).
SELECT * FROM ecliptix.initiate_verification_flow($1::uuid, $2::uuid, $3::varchar, $4::bigint);
