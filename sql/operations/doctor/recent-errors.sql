-- doctor: the last errors the routines recorded — event_log rows whose
-- event_type says error, newest first. $1: how many.
SELECT id, event_type, message, created_at
  FROM ecliptix.event_log
 WHERE event_type ILIKE '%error%'
 ORDER BY created_at DESC, id DESC
 LIMIT $1;
