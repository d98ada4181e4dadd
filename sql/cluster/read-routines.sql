-- The routines of schema ecliptix as a partition's catalog describes them
-- ($1: their names, from MANIFEST), for generating the proxy's routines
-- (src/cluster/catalog.ts). Input arguments only: the routines have no OUT/INOUT
-- arguments besides their RETURNS TABLE columns.
SELECT p.proname AS name,
       pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_arguments,
       pg_catalog.pg_get_function_result(p.oid) AS result,
       p.proretset AS returns_set,
       p.provolatile AS volatility,
       coalesce(p.proargnames[1:p.pronargs], ARRAY[]::text[]) AS argument_names,
       ARRAY(SELECT pg_catalog.format_type(t.type, NULL)
               FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS t(type, position)
              ORDER BY t.position) AS argument_types
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'ecliptix' AND p.proname = ANY ($1::text[]) AND p.prokind = 'f'
 ORDER BY p.proname, p.oid;
