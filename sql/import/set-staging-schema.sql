-- set-staging-schema.sql — the staging schema's name, for drop-staging-schema.sql,
-- as a setting of this transaction only.
select pg_catalog.set_config('ecliptix.import_staging_schema', $1, true)
