-- ecliptix.update_otp_status: $1 OTP unique_id, $2 new status.
SELECT outcome, success, message, retry_after_seconds FROM ecliptix.update_otp_status($1::uuid, $2::varchar);
