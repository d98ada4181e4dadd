-- health: the table of this database whose relfrozenxid is oldest (what an
-- anti-wraparound vacuum must freeze first), and its age. Tables, materialized
-- views and TOAST tables of every schema: any of them holds datfrozenxid back.
SELECT n.nspname AS schema_name, c.relname AS table_name, age(c.relfrozenxid)::float8 AS xid_age
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm', 't') AND c.relfrozenxid <> '0'::xid
 ORDER BY age(c.relfrozenxid) DESC
 LIMIT 1;
