-- cleanup: mark up to $2 pending OTPs whose expires_at is at or before $1 (the
-- database clock at the start of the run) expired and inactive, as
-- update_otp_status does when it meets one, skipping rows that live traffic
-- holds locked. Expired, they fall to the retention rule after retention_days.
-- Index: ix_otp_records_status_expires (status, expires_at) WHERE NOT is_deleted,
-- then the primary key. In index order (oldest expiry first).
-- Returns n, the number of rows changed.
WITH changed AS (
  UPDATE ecliptix.otp_records
     SET status = 'expired',
         is_active = false,
         updated_at = (SELECT ecliptix_internal.now())  -- once per batch; the trigger then keeps it
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.otp_records
            WHERE status = 'pending' AND expires_at <= $1::timestamptz AND NOT is_deleted
            ORDER BY status, expires_at
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
