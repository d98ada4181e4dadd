-- What each configured role may do, for `status` and the tests: table privileges
-- on the ecliptix tables, EXECUTE on its routines, CREATE on the schemas.
SELECT r.purpose,
       r.role_name,
       (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'ecliptix' AND c.relkind = 'r'
           AND has_table_privilege(r.role_name, c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE')) AS tables_with_privileges,
       (SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'ecliptix' AND has_function_privilege(r.role_name, p.oid, 'EXECUTE')) AS executable_routines,
       has_column_privilege(r.role_name, 'ecliptix.memberships', 'secure_key', 'SELECT') AS reads_secure_key,
       has_schema_privilege(r.role_name, 'ecliptix', 'CREATE') AS creates_in_ecliptix
  FROM persistor.roles r
 ORDER BY r.purpose;
