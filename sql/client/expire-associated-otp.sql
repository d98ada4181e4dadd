-- ecliptix.expire_associated_otp: $1 flow unique_id.
SELECT outcome, expired_count FROM ecliptix.expire_associated_otp($1::uuid);
