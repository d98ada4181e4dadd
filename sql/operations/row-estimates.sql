-- status: what the planner knows of the size of each of the 10 tables, in the
-- manifest's order, read from the catalog (no table is scanned).
--   reltuples         pg_class.reltuples: the rows at the last VACUUM, ANALYZE
--                     or CREATE INDEX (autovacuum keeps it within ~10 %);
--                     -1 when the table was never vacuumed or analysed.
--   live_tuples       pg_stat_user_tables.n_live_tup: live rows as counted by
--                     the statistics system (0 after a statistics reset or a
--                     crash, on a standby, and on PGlite until an ANALYZE).
--   deleted_fraction  the share of rows with is_deleted in the last ANALYZE's
--                     sample (pg_stats: the frequency of true among the most
--                     common values, else what false leaves over), the
--                     planner's own estimate for WHERE is_deleted; NULL when
--                     the table has no is_deleted or was never analysed.
SELECT t.table_name,
       c.reltuples::float8 AS reltuples,
       pg_stat_get_live_tuples(c.oid) AS live_tuples,
       (SELECT CASE
                 WHEN s.most_common_vals IS NULL THEN NULL
                 WHEN true = ANY (s.most_common_vals::text::boolean[])
                   THEN s.most_common_freqs[array_position(s.most_common_vals::text::boolean[], true)]
                 ELSE greatest(0, 1 - s.null_frac - (SELECT sum(f) FROM unnest(s.most_common_freqs) AS f))
               END::float8
          FROM pg_stats s
         WHERE s.schemaname = 'ecliptix' AND s.tablename = t.table_name AND s.attname = 'is_deleted' AND NOT s.inherited) AS deleted_fraction
  FROM unnest(ARRAY['app_devices', 'phone_numbers', 'phone_number_devices', 'verification_flows', 'otp_records',
                    'failed_otp_attempts', 'memberships', 'membership_attempts', 'login_attempts', 'event_log'])
         WITH ORDINALITY AS t(table_name, position)
  JOIN pg_namespace n ON n.nspname = 'ecliptix'
  JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name AND c.relkind = 'r'
 ORDER BY t.position;
