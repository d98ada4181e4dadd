-- cleanup: expired or failed verification flows created before $1, not yet soft-deleted.
-- Index: ix_verification_flows_status_created (status, created_at) WHERE NOT is_deleted.
SELECT count(*) AS n
  FROM ecliptix.verification_flows
 WHERE status IN ('expired', 'failed') AND created_at < $1::timestamptz AND NOT is_deleted;
