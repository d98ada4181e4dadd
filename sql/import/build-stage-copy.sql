-- build-stage-copy.sql — the statement that copies one table of a staging
-- schema into its temporary staging table, built by the server so that every
-- identifier (the schema, pgloader's table and column names, read from the
-- catalog) is quoted by format's %I. A timestamp with a time zone is taken
-- back to UTC, the original's convention.
-- $1 staging table (pg_temp), $2 its columns, $3 the source columns in the
-- same order, $4 which of them are timestamptz, $5 schema, $6 source table.
select format('insert into pg_temp.%I (%s) select %s from %I.%I',
              $1::text,
              (select string_agg(format('%I', c), ', ' order by o) from unnest($2::text[]) with ordinality u (c, o)),
              (select string_agg(case when z then format('(%I at time zone ''UTC'')', c) else format('%I', c) end, ', ' order by o)
                 from unnest($3::text[], $4::boolean[]) with ordinality u (c, z, o)),
              $5::text, $6::text) as statement
