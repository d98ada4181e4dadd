-- cleanup: make up to $2 active OTPs of flows that are no longer pending
-- inactive, and expired unless verified, skipping rows that live traffic holds
-- locked; only OTPs created at or before $1 (the database clock at the start
-- of the run). The flow is locked FOR SHARE (SKIP LOCKED) while its OTP
-- changes, so it cannot turn pending again meanwhile (update_verification_flow_status);
-- flow first, then OTP, the procedures' lock order. Walks the OTPs that are
-- not soft-deleted in (created_at, id) order from the previous batch's last
-- one ($3, $4; start with '-infinity', 0), so the OTPs that stay (inactive
-- ones, and the active OTPs of live flows) are passed over once per run, not
-- once per batch. (An OTP created after $1 is left for the next run.)
-- Indexes: ix_otp_records_created (created_at) WHERE NOT is_deleted (is_active
-- is read from the rows: V017); per row, verification_flows_unique_id_key;
-- then the primary key.
-- Returns n, the number of rows changed, and last_at/last_id, where the next
-- batch starts (NULL when none was changed).
WITH changed AS (
  UPDATE ecliptix.otp_records
     SET status = CASE WHEN status = 'verified' THEN status ELSE 'expired' END,
         is_active = false,
         updated_at = (SELECT ecliptix_internal.now())  -- once per batch; the trigger then keeps it
   WHERE id = ANY (ARRAY(
           SELECT o.id
             FROM ecliptix.otp_records o
             JOIN LATERAL (SELECT f.id
                             FROM ecliptix.verification_flows f
                            WHERE f.unique_id = o.flow_unique_id AND f.status <> 'pending'
                              FOR SHARE SKIP LOCKED) finished ON true
            WHERE NOT o.is_deleted AND o.created_at <= $1::timestamptz
              AND o.created_at >= $3::timestamptz AND (o.created_at, o.id) > ($3::timestamptz, $4::bigint)
              AND o.is_active
            ORDER BY o.created_at, o.id
            LIMIT $2
              FOR UPDATE OF o SKIP LOCKED))
  RETURNING created_at, id
)
SELECT (SELECT count(*) FROM changed) AS n, last.created_at::text AS last_at, last.id AS last_id
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (SELECT created_at, id FROM changed ORDER BY created_at DESC, id DESC LIMIT 1) AS last ON true;
