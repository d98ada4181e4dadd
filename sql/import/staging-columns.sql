-- staging-columns.sql — the tables and columns of a staging schema (made by
-- pgloader), with their types as format_type names them: what the import
-- checks against the original's tables before it reads a row.
select c.relname as table_name, a.attname as column_name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
 where n.nspname = $1
   and c.relkind in ('r', 'p', 'v', 'm', 'f')
 order by c.relname, a.attnum
