-- cleanup: delete up to $2 limit-hit counters (ecliptix_internal.limit_hits,
-- V020) of hours that ended before $1 (the event-log cut-off), skipping rows
-- held locked (a refused call counting a hit in an hour that old cannot
-- happen on the database clock, but the rule does not rely on it).
-- Index: limit_hits_pkey (hour, limit_name, calling_code, slot), oldest first.
-- Returns n, the number of rows deleted.
WITH changed AS (
  DELETE FROM ecliptix_internal.limit_hits h
   WHERE (h.hour, h.limit_name, h.calling_code, h.slot) IN (
           SELECT o.hour, o.limit_name, o.calling_code, o.slot
             FROM ecliptix_internal.limit_hits o
            WHERE o.hour < $1::timestamptz - interval '1 hour'
            ORDER BY o.hour, o.limit_name, o.calling_code, o.slot
            LIMIT $2
              FOR UPDATE SKIP LOCKED)
  RETURNING 1
)
SELECT count(*) AS n FROM changed;
