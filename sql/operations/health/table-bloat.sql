-- health: an ESTIMATE of the bloat of every table in the given schemas, from
-- the catalog and the planner's statistics alone (no table is read): the
-- pages reltuples rows of the columns' average width would fill at the
-- table's fillfactor, against the pages it has (heap and TOAST). This is the
-- well-known estimate of ioguix/pgsql-bloat-estimation (table/table_bloat.sql,
-- BSD licence), trimmed: the alignment is taken as 8 (every 64-bit platform,
-- and PGlite's WebAssembly build). It needs ANALYZE to have run (pg_stats; a table never analysed,
-- reltuples -1, is left out);
-- is_na: the estimate cannot be trusted (a column without statistics or of
-- type name). $1: the schemas to look in.
SELECT schemaname                                                              AS schema_name,
       tblname                                                                 AS table_name,
       (bs * tblpages)::float8                                                 AS real_bytes,
       (CASE WHEN tblpages - est_tblpages_ff > 0 THEN (tblpages - est_tblpages_ff) * bs ELSE 0 END)::float8 AS bloat_bytes,
       (CASE WHEN tblpages > 0 AND tblpages - est_tblpages_ff > 0
             THEN 100 * (tblpages - est_tblpages_ff) / tblpages::float8 ELSE 0 END)::float8                AS bloat_pct,
       is_na
  FROM (SELECT ceil(reltuples / ((bs - page_hdr) * fillfactor / (tpl_size * 100))) + ceil(toasttuples / 4) AS est_tblpages_ff,
               tblpages, bs, schemaname, tblname, is_na
          FROM (SELECT (4 + tpl_hdr_size + tpl_data_size + (2 * 8)
                        - CASE WHEN tpl_hdr_size % 8 = 0 THEN 8 ELSE tpl_hdr_size % 8 END
                        - CASE WHEN ceil(tpl_data_size)::int % 8 = 0 THEN 8 ELSE ceil(tpl_data_size)::int % 8 END) AS tpl_size,
                       (heappages + toastpages) AS tblpages, reltuples, toasttuples, bs, page_hdr, schemaname, tblname,
                       fillfactor, is_na
                  FROM (SELECT ns.nspname AS schemaname, tbl.relname AS tblname, tbl.reltuples,
                               tbl.relpages AS heappages, coalesce(toast.relpages, 0) AS toastpages,
                               coalesce(toast.reltuples, 0) AS toasttuples,
                               coalesce(substring(array_to_string(tbl.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::smallint, 100) AS fillfactor,
                               current_setting('block_size')::numeric AS bs,
                               24 AS page_hdr,
                               23 + CASE WHEN max(coalesce(s.null_frac, 0)) > 0 THEN (7 + count(s.attname)) / 8 ELSE 0::int END AS tpl_hdr_size,
                               sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS tpl_data_size,
                               bool_or(att.atttypid = 'pg_catalog.name'::regtype)
                                 OR sum(CASE WHEN att.attnum > 0 THEN 1 ELSE 0 END) <> count(s.attname) AS is_na
                          FROM pg_attribute att
                          JOIN pg_class tbl ON att.attrelid = tbl.oid
                          JOIN pg_namespace ns ON ns.oid = tbl.relnamespace
                          LEFT JOIN pg_stats s ON s.schemaname = ns.nspname AND s.tablename = tbl.relname
                                              AND NOT s.inherited AND s.attname = att.attname
                          LEFT JOIN pg_class toast ON tbl.reltoastrelid = toast.oid
                         WHERE NOT att.attisdropped AND att.attnum > 0 AND tbl.relkind IN ('r', 'm') AND tbl.reltuples >= 0
                           AND ns.nspname = ANY ($1::text[])
                         GROUP BY ns.nspname, tbl.relname, tbl.reltuples, tbl.relpages, toast.relpages, toast.reltuples,
                                  tbl.reloptions) AS s
               ) AS s2
       ) AS s3
 ORDER BY schemaname, tblname;
