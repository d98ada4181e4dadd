-- verify, core check: the OTP check succeeds ($1 otp unique_id). Expect updated.
SELECT * FROM ecliptix.update_otp_status($1::uuid, 'verified');
