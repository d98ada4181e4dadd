-- drop-staging-tables.sql — the statements that drop the staging schema's
-- tables the import read ($2: their names in schema $1), each RESTRICT: the
-- original's plaintext secure keys and OTP hashes go with the import's commit,
-- and nothing else in the schema is touched (an object that depends on one of
-- them makes the drop, and so the import, fail instead).
select pg_catalog.format(
         'drop %s %I.%I restrict',
         case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' else 'table' end,
         n.nspname,
         c.relname
       ) as statement
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where n.nspname = $1
   and c.relname = any($2::text[])
   and c.relkind in ('r', 'p', 'v', 'm', 'f')
 order by c.relname
