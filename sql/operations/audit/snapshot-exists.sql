-- audit: whether its snapshot table exists, and whether this role may read
-- it, add to it, and create it (read from the catalog by oid, so that a role
-- without USAGE on schema persistor gets an answer instead of an error).
SELECT n.oid IS NOT NULL                                                                               AS schema_exists,
       t.oid IS NOT NULL                                                                               AS table_exists,
       coalesce(has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(t.oid, 'INSERT'), false) AS may_insert,
       coalesce(has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(t.oid, 'SELECT'), false) AS may_select,
       coalesce(has_schema_privilege(n.oid, 'CREATE'), false)                                          AS may_create
  FROM (SELECT 1) one
  LEFT JOIN pg_namespace n ON n.nspname = 'persistor'
  LEFT JOIN pg_class t ON t.relnamespace = n.oid AND t.relname = 'audit_snapshots' AND t.relkind = 'r';
