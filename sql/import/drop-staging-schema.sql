-- drop-staging-schema.sql — drops the staging schema once the import has
-- dropped the tables it read from it (drop-staging-tables.sql), and only if
-- nothing else is left in it: DROP SCHEMA … RESTRICT, never CASCADE, so a
-- schema that holds anything the import did not read is kept as it is. Inside
-- the import's transaction, so it goes exactly when the import commits. The
-- name comes from set-staging-schema.sql and is quoted by format's %I.
do $$
begin
  execute format('drop schema %I restrict', current_setting('ecliptix.import_staging_schema'));
exception when dependent_objects_still_exist then
  -- Something else lives in the schema: it stays.
  null;
end
$$
