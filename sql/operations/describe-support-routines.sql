-- The definition of every routine in schema `ecliptix_internal` (settings
-- accessors, clock, argument checks, the shared trigger function): support
-- objects the 36 depend on. `verify` compares them before and after re-running
-- the migration files inside a transaction that is rolled back.
SELECT p.proname AS name,
       'support routine' AS kind,
       string_agg(pg_get_functiondef(p.oid), E'\n' ORDER BY pg_get_function_identity_arguments(p.oid)) AS definition
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'ecliptix_internal'
 GROUP BY p.proname
 ORDER BY 1;
