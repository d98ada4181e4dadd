-- The one inspection of schema `ecliptix` (src/schema/objects.ts, used by
-- `status` and by `verify`'s criteria 1 and 2): every relation, routine and trigger
-- with what it actually is, so that an object of the right name but the wrong
-- kind (a view instead of a table, a PROCEDURE instead of a function, a trigger
-- on another table) is found. enabled: triggers can be disabled.
SELECT c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END AS kind,
       NULL::text AS table_name,
       true AS enabled
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'ecliptix' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT p.proname,
       CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure (CREATE PROCEDURE)'
                      WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' END,
       NULL,
       true
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'ecliptix'
UNION ALL
SELECT t.tgname, 'trigger', c.relname, t.tgenabled <> 'D'
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'ecliptix' AND NOT t.tgisinternal
 ORDER BY 1, 2;
