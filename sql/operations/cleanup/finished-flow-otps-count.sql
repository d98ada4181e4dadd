-- cleanup: active OTPs, created at or before $1 (the database clock at the
-- start of the run), of flows that are no longer pending (verified, expired or
-- failed): nobody can use them any more.
-- $2 is for a dry run, so that it counts what the run would do after the rules
-- before this one: the instant at which abandoned-flows marks pending flows
-- expired and expired-otps marks pending OTPs expired (a real run: '-infinity',
-- those rules have run). So it counts the active OTPs of flows that
-- abandoned-flows will expire, but not those that expired-otps will take.
-- Indexes: ix_otp_records_created (created_at) WHERE NOT is_deleted (is_active
-- is read from the rows: V017); per row, verification_flows_unique_id_key for the flow.
SELECT count(*) AS n
  FROM ecliptix.otp_records o
 WHERE NOT o.is_deleted AND o.created_at <= $1::timestamptz AND o.is_active
   AND NOT (o.status = 'pending' AND o.expires_at <= $2::timestamptz)
   AND (SELECT f.status <> 'pending' OR (NOT f.is_deleted AND f.expires_at <= $2::timestamptz)
          FROM ecliptix.verification_flows f
         WHERE f.unique_id = o.flow_unique_id);
