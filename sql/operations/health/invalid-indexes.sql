-- health: indexes the planner does not use because they are invalid (a
-- CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed part way):
-- still maintained on every write, never read. leftover: named like the
-- temporary index of an interrupted REINDEX CONCURRENTLY (<name>_ccnew[N],
-- <name>_ccold[N]) — reported by the reindex-leftovers check, not this one.
-- Only invalid indexes are listed: a valid one is never a leftover, whatever
-- its name (PostgreSQL's own stay invalid until the swap gives them the
-- original name), so `maintain` never plans to drop one.
-- $1: the schemas to look in.
SELECT n.nspname                                     AS schema_name,
       i.relname                                     AS index_name,
       t.relname                                     AS table_name,
       x.indisunique                                 AS is_unique,
       i.relname ~ '_cc(new|old)[0-9]*$'             AS leftover,
       pg_relation_size(i.oid)::float8               AS index_bytes
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = i.relnamespace
 WHERE n.nspname = ANY ($1::text[])
   AND NOT x.indisvalid
 ORDER BY n.nspname, i.relname;
