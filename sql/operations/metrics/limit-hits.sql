-- metrics: the limits' refusals the routines counted (ecliptix_internal.limit_hits,
-- V020; one row per UTC hour, limit, country calling code and slot), per
-- limit: in the current clock hour, and in the last 24 clock hours (the
-- current one included). Reads only the last 24 hours' rows (the primary key
-- starts with the hour).
SELECT h.limit_name,
       sum(h.hits) FILTER (WHERE h.hour >= c.this_hour) AS hits_1h,
       sum(h.hits)                                     AS hits_24h
  FROM (SELECT date_trunc('hour', ecliptix_internal.now(), 'UTC') AS this_hour OFFSET 0) c
  JOIN ecliptix_internal.limit_hits h ON h.hour >= c.this_hour - interval '23 hours'
 GROUP BY h.limit_name;
