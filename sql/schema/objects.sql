-- The objects present in schema `ecliptix`: tables, routines (all functions) and
-- user triggers, with whether each trigger is enabled. Used by `status` and `verify`.
SELECT c.relname AS name, 'table' AS kind, NULL::text AS table_name, true AS enabled
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'ecliptix' AND c.relkind IN ('r', 'p')
UNION ALL
SELECT p.proname, 'routine', NULL, true
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'ecliptix'
UNION ALL
SELECT t.tgname, 'trigger', c.relname, t.tgenabled <> 'D'
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'ecliptix' AND NOT t.tgisinternal
 ORDER BY 2, 1;
