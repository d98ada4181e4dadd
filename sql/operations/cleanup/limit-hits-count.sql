-- cleanup: limit-hit counters (ecliptix_internal.limit_hits, V020) of hours
-- that ended before $1 (the event-log cut-off: the counters are kept as long
-- as the events they sit beside). An hour's row counts hits from its start
-- to an hour later, so a row goes once all of its hour is past the cut-off.
-- Index: limit_hits_pkey (hour, limit_name, calling_code, slot).
SELECT count(*) AS n
  FROM ecliptix_internal.limit_hits
 WHERE hour < $1::timestamptz - interval '1 hour';
