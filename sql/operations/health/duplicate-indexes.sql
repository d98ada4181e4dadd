-- health: sets of indexes of one table on the same columns or expressions,
-- with the same operator classes, collations and predicate — each but one
-- costs writes and space for nothing. Listed per set; backs_constraint tells
-- which of them a constraint uses (keep that one). Leftovers of an
-- interrupted REINDEX (*_ccnew, *_ccold) are reported by their own check. $1: the schemas to look in.
SELECT n.nspname                                                         AS schema_name,
       t.relname                                                         AS table_name,
       array_agg(i.relname::text ORDER BY i.relname)                           AS index_names,
       array_agg(c.conname IS NOT NULL ORDER BY i.relname)               AS backs_constraint,
       sum(pg_relation_size(i.oid))::float8                              AS total_bytes
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
 WHERE n.nspname = ANY ($1::text[]) AND x.indisvalid AND i.relname !~ '_cc(new|old)[0-9]*$'
 GROUP BY n.nspname, t.relname, x.indrelid, x.indkey::text, x.indclass::text, x.indcollation::text,
          coalesce(pg_get_expr(x.indexprs, x.indrelid), ''), coalesce(pg_get_expr(x.indpred, x.indrelid), '')
HAVING count(*) > 1
 ORDER BY n.nspname, t.relname, min(i.relname);
