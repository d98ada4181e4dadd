-- health: the statistics system's view of every table in the schemas the tool
-- deploys (ecliptix, ecliptix_internal, persistor), one row each — the
-- numbers behind dead-tuples, stale-statistics and the sizes. Reads only the
-- catalog and pg_stat_user_tables, never a table's rows.
--   dead_tuples / live_tuples   n_dead_tup / n_live_tup (estimates the statistics system keeps)
--   mods_since_analyze          rows inserted, updated or deleted since the last ANALYZE
--   *_age_s                     seconds since the last (auto)vacuum / (auto)analyze; NULL: never
--   autovacuum_enabled          false when the table's storage parameter turns it off
SELECT s.schemaname                                                           AS schema_name,
       s.relname                                                              AS table_name,
       s.n_live_tup::float8                                                   AS live_tuples,
       s.n_dead_tup::float8                                                   AS dead_tuples,
       s.n_mod_since_analyze::float8                                          AS mods_since_analyze,
       extract(epoch FROM now() - greatest(s.last_vacuum, s.last_autovacuum))::float8   AS vacuum_age_s,
       extract(epoch FROM now() - greatest(s.last_analyze, s.last_autoanalyze))::float8 AS analyze_age_s,
       coalesce(NOT ('autovacuum_enabled=false' = ANY (c.reloptions)), true)  AS autovacuum_enabled,
       pg_total_relation_size(c.oid)::float8                                  AS total_bytes
  FROM pg_stat_user_tables s
  JOIN pg_class c ON c.oid = s.relid
 WHERE s.schemaname IN ('ecliptix', 'ecliptix_internal', 'persistor')
 ORDER BY s.schemaname, s.relname;
