-- verify, criterion 5: what the application role ($1, an existing role) may
-- use: USAGE on schema ecliptix and EXECUTE on each of its routines.
SELECT has_schema_privilege($1::text, 'ecliptix', 'USAGE') AS schema_usage,
       pg_has_role(current_user, $1::text, 'MEMBER')        AS can_act_as,
       coalesce(array_agg(DISTINCT p.proname::text ORDER BY p.proname::text)
                  FILTER (WHERE NOT has_function_privilege($1::text, p.oid, 'EXECUTE')), '{}') AS routines_denied
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'ecliptix';
