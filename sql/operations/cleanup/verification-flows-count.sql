-- cleanup: expired or failed verification flows created before $1, not yet soft-deleted.
-- $2 is for a dry run, so that it counts what the run would do after
-- abandoned-flows: the instant at which that rule marks pending flows expired
-- (a real run: '-infinity', the rule has run), so the pending flows it will
-- expire count as expired.
-- Index: ix_verification_flows_created (created_at) WHERE NOT is_deleted (status
-- is read from the rows: V017).
SELECT count(*) AS n
  FROM ecliptix.verification_flows
 WHERE (status IN ('expired', 'failed') OR (status = 'pending' AND expires_at <= $2::timestamptz))
   AND created_at < $1::timestamptz AND NOT is_deleted;
