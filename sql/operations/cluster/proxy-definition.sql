-- verify on a cluster: the proxy's PL/Proxy set-up — the extension, the
-- cluster definition its routines use (the SQL/MED server `ecliptix` of
-- src/cluster/generate.ts: its foreign-data wrapper and options, p0 … pN-1 in
-- the order the deployment wrote them) and whether it has the user mapping
-- for PUBLIC the proxy's routines connect with (its options stay hidden).
SELECT (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'plproxy') AS plproxy_version,
       s.oid IS NOT NULL AS server_exists,
       w.fdwname AS wrapper,
       coalesce(s.srvoptions, ARRAY[]::text[]) AS options,
       EXISTS (SELECT 1 FROM pg_catalog.pg_user_mappings m WHERE m.srvname = 'ecliptix' AND m.umuser = 0) AS public_mapping
  FROM (SELECT 1) one
  LEFT JOIN pg_catalog.pg_foreign_server s ON s.srvname = 'ecliptix'
  LEFT JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw;
