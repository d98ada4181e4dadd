-- cleanup: failed OTP attempts made before $1, not yet soft-deleted.
-- Index: ix_failed_otp_attempts_attempt_time (attempt_time) WHERE NOT is_deleted.
SELECT count(*) AS n
  FROM ecliptix.failed_otp_attempts
 WHERE attempt_time < $1::timestamptz AND NOT is_deleted;
