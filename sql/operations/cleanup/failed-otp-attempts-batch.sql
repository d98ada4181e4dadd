-- cleanup: soft-delete up to $2 failed OTP attempts made before $1, skipping
-- rows that live traffic holds locked.
-- Index: ix_failed_otp_attempts_attempt_time (attempt_time) WHERE NOT is_deleted,
-- then the primary key.
-- Returns n, the number of rows changed.
WITH changed AS (
  UPDATE ecliptix.failed_otp_attempts
     SET is_deleted = true
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.failed_otp_attempts
            WHERE attempt_time < $1::timestamptz AND NOT is_deleted
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
