-- health: the statements of this database with the highest mean execution
-- time (pg_stat_statements, PostgreSQL 13+ column names), among those run at
-- least $1 times; $2 of them. The text is the normalised one (constants
-- replaced by $n); the command still masks any quoted literal it holds (a
-- utility statement's text is kept as written).
SELECT s.queryid::text           AS query_id,
       s.calls::float8           AS calls,
       s.mean_exec_time::float8  AS mean_ms,
       s.total_exec_time::float8 AS total_ms,
       left(s.query, 2000)       AS query
  FROM pg_stat_statements s
  JOIN pg_database d ON d.oid = s.dbid
 WHERE d.datname = current_database() AND s.calls >= $1::bigint
 ORDER BY s.mean_exec_time DESC
 LIMIT $2::int;
