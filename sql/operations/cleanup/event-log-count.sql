-- cleanup: event_log rows created before $1 (the event-log cut-off).
-- Index: ix_event_log_created_at (created_at).
SELECT count(*) AS n
  FROM ecliptix.event_log
 WHERE created_at < $1::timestamptz;
