-- staging-schema-dropped.sql — whether drop-staging-schema.sql dropped the
-- staging schema $1 (it keeps a schema that still holds anything).
select not exists (select 1 from pg_catalog.pg_namespace where nspname = $1) as dropped
