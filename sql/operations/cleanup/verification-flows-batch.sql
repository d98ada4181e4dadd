-- cleanup: soft-delete up to $2 expired or failed verification flows created
-- before $1, skipping rows that live traffic holds locked.
-- Walks the flows that are not soft-deleted in (created_at, id) order from the
-- previous batch's last one ($3, $4; start with '-infinity', 0), so the flows
-- that stay (verified ones) are passed over once per run, not once per batch.
-- No index has status (V017: the routines' updates of it stay HOT), so it is
-- read from the rows.
-- Index: ix_verification_flows_created (created_at) WHERE NOT is_deleted,
-- then the primary key.
-- Returns n, the number of rows changed, and last_at/last_id, where the next
-- batch starts (NULL when none was changed).
WITH changed AS (
  UPDATE ecliptix.verification_flows
     SET is_deleted = true,
         updated_at = (SELECT ecliptix_internal.now())  -- once per batch; the trigger then keeps it
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.verification_flows
            WHERE NOT is_deleted AND created_at < $1::timestamptz
              AND created_at >= $3::timestamptz AND (created_at, id) > ($3::timestamptz, $4::bigint)
              AND status IN ('expired', 'failed')
            ORDER BY created_at, id
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING created_at, id
)
SELECT (SELECT count(*) FROM changed) AS n, last.created_at::text AS last_at, last.id AS last_id
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (SELECT created_at, id FROM changed ORDER BY created_at DESC, id DESC LIMIT 1) AS last ON true;
