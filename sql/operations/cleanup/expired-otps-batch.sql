-- cleanup: mark up to $2 pending OTPs whose expires_at is at or before $1 (the
-- database clock at the start of the run) expired and inactive, as
-- update_otp_status does when it meets one, skipping rows that live traffic
-- holds locked. Expired, they fall to the retention rule after retention_days.
-- Only OTPs created at or before $1 (one created later is left for the next run).
-- Walks the OTPs that are not soft-deleted in (created_at, id) order from the
-- previous batch's last one ($3, $4; start with '-infinity', 0), so the OTPs
-- that stay are passed over once per run. No index has status or expires_at
-- (V017: the routines' updates of them stay HOT), so they are read from the rows.
-- Index: ix_otp_records_created (created_at) WHERE NOT is_deleted, then the primary key.
-- Returns n, the number of rows changed, and last_at/last_id, where the next
-- batch starts (NULL when none was changed).
WITH changed AS (
  UPDATE ecliptix.otp_records
     SET status = 'expired',
         is_active = false,
         updated_at = (SELECT ecliptix_internal.now())  -- once per batch; the trigger then keeps it
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.otp_records
            WHERE NOT is_deleted AND created_at <= $1::timestamptz
              AND created_at >= $3::timestamptz AND (created_at, id) > ($3::timestamptz, $4::bigint)
              AND status = 'pending' AND expires_at <= $1::timestamptz
            ORDER BY created_at, id
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING created_at, id
)
SELECT (SELECT count(*) FROM changed) AS n, last.created_at::text AS last_at, last.id AS last_id
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (SELECT created_at, id FROM changed ORDER BY created_at DESC, id DESC LIMIT 1) AS last ON true;
