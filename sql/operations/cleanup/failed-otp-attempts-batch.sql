-- cleanup: soft-delete up to $2 failed OTP attempts made before $1, skipping
-- rows that live traffic holds locked.
-- Index: ix_failed_otp_attempts_attempt_time (attempt_time) WHERE NOT is_deleted,
-- then the primary key.
-- In index order (oldest first): that keeps the plan an index scan even when
-- nearly every row has expired (a sequential scan would re-read the rows
-- already done in every batch).
-- Returns n, the number of rows changed.
WITH changed AS (
  UPDATE ecliptix.failed_otp_attempts
     SET is_deleted = true,
         updated_at = (SELECT ecliptix_internal.now())  -- once per batch; the trigger then keeps it
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.failed_otp_attempts
            WHERE attempt_time < $1::timestamptz AND NOT is_deleted
            ORDER BY attempt_time
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
