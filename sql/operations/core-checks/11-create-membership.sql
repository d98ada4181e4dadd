-- verify, core check: a membership from the verified flow ($1 flow, $2 connection id, $3 otp). Expect created.
SELECT * FROM ecliptix.create_membership($1::uuid, $2::bigint, $3::uuid, 'otp_verified');
