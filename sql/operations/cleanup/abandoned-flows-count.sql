-- cleanup: pending verification flows whose expires_at is at or before $1
-- (the database clock at the start of the run), not soft-deleted: abandoned.
-- Index: ix_verification_flows_status_expires (status, expires_at) WHERE NOT is_deleted.
SELECT count(*) AS n
  FROM ecliptix.verification_flows
 WHERE status = 'pending' AND expires_at <= $1::timestamptz AND NOT is_deleted;
