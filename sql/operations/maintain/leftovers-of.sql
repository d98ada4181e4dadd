-- maintain: the invalid indexes an interrupted REINDEX INDEX CONCURRENTLY of
-- index $2 in schema $1 left behind (<name>_ccnew[N], <name>_ccold[N]), to
-- drop them after a reindex that timed out or was cancelled.
SELECT i.relname AS index_name
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_namespace n ON n.oid = i.relnamespace
 WHERE n.nspname = $1::text
   AND NOT x.indisvalid
   AND left(i.relname, length($2::text)) = $2::text
   AND substr(i.relname, length($2::text) + 1) ~ '^_cc(new|old)[0-9]*$'
 ORDER BY i.relname;
