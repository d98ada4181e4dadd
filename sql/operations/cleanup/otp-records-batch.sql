-- cleanup: soft-delete up to $2 expired, failed or verified OTP records created
-- before $1, skipping rows that live traffic holds locked.
-- Index: ix_otp_records_created (created_at) WHERE NOT is_deleted, then the
-- primary key. No index has status (V017: the routines' updates of it stay
-- HOT), so it is read from the rows; the OTPs that are not soft-deleted and
-- older than the cut-off are (after expired-otps) all expired, failed or
-- verified, bar the ones live traffic held locked, so a batch reads hardly any
-- row it leaves.
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
            WHERE NOT is_deleted AND created_at < $1::timestamptz
              AND status IN ('expired', 'failed', 'verified')
            ORDER BY created_at
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
