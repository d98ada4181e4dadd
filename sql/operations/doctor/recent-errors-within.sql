-- status: the errors the routines recorded in the last $1 days by the
-- database clock — event_log rows whose event_type says error — newest
-- first, at most $2. The window keeps it an index range scan
-- (ix_event_log_created_at) however large the log is.
SELECT e.id, e.event_type, e.message, e.created_at
  FROM ecliptix.event_log e,
       (SELECT ecliptix_internal.now() - make_interval(days => $1::int) AS since OFFSET 0) c
 WHERE e.created_at > c.since
   AND e.event_type ILIKE '%error%'
 ORDER BY e.created_at DESC, e.id DESC
 LIMIT $2;
