-- restore: does the target already hold the memberships schema or the
-- migrator's journal (then restoring replaces it, and needs --force)?
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'ecliptix' AND c.relkind IN ('r', 'p'))::int AS ecliptix_tables,
       to_regclass('persistor.schema_history') IS NOT NULL                 AS journal_exists;
