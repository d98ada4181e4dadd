-- health: indexes never scanned since the statistics were last reset, on
-- tables that have been written to since (so the index has cost something):
-- candidates to drop, after checking with the application. Primary keys,
-- unique indexes and indexes backing a constraint are never candidates (they
-- enforce something even when nobody reads them). $1: the schemas to look
-- in; $2: the writes (inserts + updates + deletes) a table needs before its
-- unused indexes count.
SELECT s.schemaname                                             AS schema_name,
       s.indexrelname                                           AS index_name,
       s.relname                                                AS table_name,
       (t.n_tup_ins + t.n_tup_upd + t.n_tup_del)::float8        AS table_writes,
       pg_relation_size(s.indexrelid)::float8                   AS index_bytes
  FROM pg_stat_user_indexes s
  JOIN pg_stat_user_tables t ON t.relid = s.relid
  JOIN pg_index x ON x.indexrelid = s.indexrelid
 WHERE s.schemaname = ANY ($1::text[])
   AND s.idx_scan = 0
   AND x.indisvalid AND NOT x.indisunique AND NOT x.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid)
   AND s.indexrelname !~ '_cc(new|old)[0-9]*$'
   AND t.n_tup_ins + t.n_tup_upd + t.n_tup_del >= $2::float8
 ORDER BY pg_relation_size(s.indexrelid) DESC, s.schemaname, s.indexrelname;
