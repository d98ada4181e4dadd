-- staging-schema-exists.sql — whether the staging schema named $1 exists.
select exists (select 1 from pg_catalog.pg_namespace where nspname = $1) as exists
