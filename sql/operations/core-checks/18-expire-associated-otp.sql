-- verify, core check: expire the second flow's pending OTPs ($1 flow unique_id). Expect expired.
SELECT * FROM ecliptix.expire_associated_otp($1::uuid);
