-- audit: the calls each limit refused since $1 (ecliptix_internal.limit_hits,
-- V020: counted by the routines per clock hour, limit, calling code and slot),
-- per limit.
SELECT h.limit_name, sum(h.hits) AS hits
  FROM ecliptix_internal.limit_hits h
 WHERE h.hour >= date_trunc('hour', $1::timestamptz, 'UTC')
 GROUP BY 1;
