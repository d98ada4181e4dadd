-- cleanup: pending verification flows whose expires_at is at or before $1
-- (the database clock at the start of the run), created at or before it, not
-- soft-deleted: abandoned.
-- Index: ix_verification_flows_created (created_at) WHERE NOT is_deleted
-- (status and expires_at are read from the rows, see abandoned-flows-batch.sql).
SELECT count(*) AS n
  FROM ecliptix.verification_flows
 WHERE NOT is_deleted AND created_at <= $1::timestamptz
   AND status = 'pending' AND expires_at <= $1::timestamptz;
