-- verify, core check: store an OTP hash for the flow, valid 5 minutes ($1 flow unique_id). Expect created.
SELECT * FROM ecliptix.insert_otp_record($1::uuid, 'verify-otp-hash', 'verify-otp-salt', ecliptix_internal.now() + interval '5 minutes', 'pending');
