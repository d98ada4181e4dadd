-- cleanup: mark up to $2 abandoned verification flows expired — pending, with
-- expires_at at or before $1 (the database clock at the start of the run) —
-- skipping rows that live traffic holds locked. The procedures already treat
-- such a flow as expired (expires_at <= now) and mark it so when they meet it;
-- this does it for the flows nobody comes back to, so that the retention rule
-- soft-deletes them after retention_days.
-- Index: ix_verification_flows_status_expires (status, expires_at) WHERE NOT is_deleted,
-- then the primary key. In index order (oldest expiry first).
-- Returns n, the number of rows changed.
WITH changed AS (
  UPDATE ecliptix.verification_flows
     SET status = 'expired',
         updated_at = (SELECT ecliptix_internal.now())  -- once per batch; the trigger then keeps it
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.verification_flows
            WHERE status = 'pending' AND expires_at <= $1::timestamptz AND NOT is_deleted
            ORDER BY status, expires_at
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
