-- maintain: the invalid indexes of table $2 in schema $1, by oid — read
-- before and after a REINDEX INDEX CONCURRENTLY, so that when it gives up the
-- index it left half-built (new since the first read, invalid, named
-- <name>_ccnew / _ccold, however PostgreSQL shortened a long name) is the only
-- one dropped: never another session's, never one that was there before.
SELECT x.indexrelid::bigint                      AS oid,
       i.relname                                 AS index_name,
       i.relname ~ '_cc(new|old)[0-9]*$'         AS leftover_name
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
 WHERE x.indrelid = to_regclass(format('%I.%I', $1::text, $2::text))
   AND NOT x.indisvalid;
