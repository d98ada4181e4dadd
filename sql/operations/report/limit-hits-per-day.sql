-- report: the calls each limit refused per UTC day over the last $1 days
-- (ecliptix_internal.limit_hits, V020: counted by the routines per hour,
-- limit, calling code and slot), summed over calling codes and slots; only
-- the days and limits that had any.
WITH period AS (
  SELECT (date_trunc('day', ecliptix_internal.now() AT TIME ZONE 'UTC') - make_interval(days => $1::int - 1)) AT TIME ZONE 'UTC' AS since
  OFFSET 0
)
SELECT to_char(h.hour AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, -- not ::text, which follows DateStyle
       h.limit_name,
       sum(h.hits)                             AS hits
  FROM ecliptix_internal.limit_hits h, period
 WHERE h.hour >= period.since
 GROUP BY 1, 2
 ORDER BY 1, 2;
