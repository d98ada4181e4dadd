-- cleanup: soft-delete up to $2 expired, failed or verified OTP records created
-- before $1, skipping rows that live traffic holds locked.
-- Index: ix_otp_records_status_created (status, created_at) WHERE NOT is_deleted,
-- then the primary key.
-- In index order (oldest first): that keeps the plan an index scan even when
-- nearly every row has expired (a sequential scan would re-read the rows
-- already done in every batch).
-- Returns n, the number of rows changed.
WITH changed AS (
  UPDATE ecliptix.otp_records
     SET is_deleted = true,
         updated_at = (SELECT ecliptix_internal.now())  -- once per batch; the trigger then keeps it
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.otp_records
            WHERE status IN ('expired', 'failed', 'verified') AND created_at < $1::timestamptz AND NOT is_deleted
            ORDER BY status, created_at
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
