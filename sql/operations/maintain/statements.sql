-- maintain: the statements for one object, its schema and name ($1, $2)
-- quoted by PostgreSQL (format's %I), never pasted in by the tool. REINDEX
-- and DROP INDEX CONCURRENTLY cannot run in a transaction block, so each is
-- sent on its own.
SELECT format('REINDEX INDEX CONCURRENTLY %I.%I', $1::text, $2::text)        AS reindex,
       format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I', $1::text, $2::text) AS drop_index,
       format('ANALYZE %I.%I', $1::text, $2::text)                           AS analyze;
