-- Finds Flyway's history table: $1 its schema (NULL: the first schema of the
-- search path that has it), $2 its name. Returns the query that reads it, its
-- identifiers quoted here with format('%I').
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       format('SELECT installed_rank, version, description, type, script, checksum, success FROM %I.%I ORDER BY installed_rank',
              n.nspname, c.relname) AS select_sql
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = $2::text
  AND c.relkind IN ('r', 'p', 'v')
  AND (($1::text IS NULL AND n.nspname = ANY (current_schemas(false))) OR n.nspname = $1::text)
ORDER BY array_position(current_schemas(false), n.nspname::text)
LIMIT 1;
