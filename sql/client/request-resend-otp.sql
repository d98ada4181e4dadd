-- ecliptix.request_resend_otp: $1 flow unique_id.
SELECT outcome, retry_after_seconds FROM ecliptix.request_resend_otp($1::uuid);
