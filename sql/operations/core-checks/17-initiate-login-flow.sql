-- verify, core check: start a second flow, for login ($1 device unique_id, $2 phone unique_id). Expect created.
SELECT * FROM ecliptix.initiate_verification_flow($1::uuid, $2::uuid, 'login', NULL);
