-- verify, core check: may an OTP be sent for the new flow ($1 flow unique_id)? Expect resend_allowed.
SELECT * FROM ecliptix.request_resend_otp($1::uuid);
