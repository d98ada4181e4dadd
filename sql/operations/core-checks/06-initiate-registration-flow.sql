-- verify, core check: start a registration flow ($1 device unique_id, $2 phone unique_id, $3 connection id). Expect created.
SELECT * FROM ecliptix.initiate_verification_flow($1::uuid, $2::uuid, 'registration', $3::bigint);
