-- cleanup: make up to $2 active OTPs of flows that are no longer pending
-- inactive, and expired unless verified, skipping rows that live traffic holds
-- locked; only OTPs created at or before $1 (the database clock at the start
-- of the run). The flow is locked FOR SHARE (SKIP LOCKED) while its OTP
-- changes, so it cannot turn pending again meanwhile (update_verification_flow_status);
-- flow first, then OTP, the procedures' lock order. Walks the OTPs in
-- flow_unique_id order from the previous batch's last one ($3; start with the
-- nil uuid), so the active OTPs of live flows, which stay, are passed over
-- once per run, not once per batch. (The last one is inactive now, and its
-- flow can get no new OTP: it is not pending.)
-- Indexes: ux_otp_records_flow_active (flow_unique_id) WHERE is_active AND NOT
-- is_deleted; per row, verification_flows_unique_id_key; then the primary key.
-- Returns n, the number of rows changed, and last_at, where the next batch
-- starts (NULL when none was changed).
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
            WHERE o.is_active AND NOT o.is_deleted AND o.created_at <= $1::timestamptz
              AND o.flow_unique_id >= $3::uuid
            ORDER BY o.flow_unique_id
            LIMIT $2
              FOR UPDATE OF o SKIP LOCKED))
  RETURNING flow_unique_id
)
SELECT (SELECT count(*) FROM changed) AS n,
       (SELECT flow_unique_id::text FROM changed ORDER BY flow_unique_id DESC LIMIT 1) AS last_at;
