-- health: an ESTIMATE of the bloat of every btree index in the given
-- schemas, from the catalog and the planner's statistics alone (no index is
-- read): the pages an index of reltuples entries of the columns' average
-- width would fill at its fillfactor, against the pages it has. This is the
-- well-known estimate of ioguix/pgsql-bloat-estimation (btree/btree_bloat.sql,
-- BSD licence), trimmed: the alignment is taken as 8 (every 64-bit platform,
-- and PGlite's WebAssembly build). It needs ANALYZE to have run (pg_stats);
-- is_na: the estimate cannot be trusted (a column of type name). $1: the
-- schemas to look in.
SELECT nspname                                                        AS schema_name,
       tblname                                                        AS table_name,
       idxname                                                        AS index_name,
       (bs * relpages)::float8                                        AS real_bytes,
       (CASE WHEN relpages > est_pages_ff THEN bs * (relpages - est_pages_ff) ELSE 0 END)::float8 AS bloat_bytes,
       (CASE WHEN relpages > 0 AND relpages > est_pages_ff
             THEN 100 * (relpages - est_pages_ff)::float8 / relpages ELSE 0 END)::float8         AS bloat_pct,
       is_na
  FROM (SELECT coalesce(1 + ceil(reltuples / floor((bs - pageopqdata - pagehdr) * fillfactor
                                                   / (100 * (4 + nulldatahdrwidth)::float8))), 0) AS est_pages_ff,
               bs, nspname, tblname, idxname, relpages, is_na
          FROM (SELECT bs, nspname, tblname, idxname, reltuples, relpages, fillfactor, pagehdr, pageopqdata, is_na,
                       (index_tuple_hdr_bm + 8 - CASE WHEN index_tuple_hdr_bm % 8 = 0 THEN 8 ELSE index_tuple_hdr_bm % 8 END
                        + nulldatawidth + 8 - CASE WHEN nulldatawidth = 0 THEN 0
                                                   WHEN nulldatawidth::integer % 8 = 0 THEN 8
                                                   ELSE nulldatawidth::integer % 8 END)::numeric AS nulldatahdrwidth
                  FROM (SELECT n.nspname, i.tblname, i.idxname, i.reltuples, i.relpages, i.fillfactor,
                               current_setting('block_size')::numeric AS bs,
                               24 AS pagehdr,
                               16 AS pageopqdata,
                               CASE WHEN max(coalesce(s.null_frac, 0)) = 0 THEN 8 ELSE 8 + ((32 + 8 - 1) / 8) END AS index_tuple_hdr_bm,
                               sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 1024))               AS nulldatawidth,
                               max(CASE WHEN i.atttypid = 'pg_catalog.name'::regtype THEN 1 ELSE 0 END) > 0     AS is_na
                          FROM (SELECT ct.relname AS tblname, ct.relnamespace, ic.idxname, ic.reltuples, ic.relpages,
                                       ic.fillfactor, ic.idxoid,
                                       coalesce(a1.attname, a2.attname)   AS attname,
                                       coalesce(a1.atttypid, a2.atttypid) AS atttypid,
                                       CASE WHEN a1.attnum IS NULL THEN ic.idxname ELSE ct.relname END AS attrelname
                                  FROM (SELECT ci.relname AS idxname, ci.reltuples, ci.relpages, x.indrelid AS tbloid,
                                               x.indexrelid AS idxoid,
                                               coalesce(substring(array_to_string(ci.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::smallint, 90) AS fillfactor,
                                               string_to_array(textin(int2vectorout(x.indkey)), ' ')::int[] AS indkey,
                                               generate_series(1, x.indnatts) AS attpos
                                          FROM pg_index x
                                          JOIN pg_class ci ON ci.oid = x.indexrelid
                                          JOIN pg_namespace ni ON ni.oid = ci.relnamespace
                                         WHERE ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
                                           AND ci.relpages > 0 AND ci.reltuples >= 0 AND x.indisvalid
                                           AND ni.nspname = ANY ($1::text[])) AS ic
                                  JOIN pg_class ct ON ct.oid = ic.tbloid
                                  LEFT JOIN pg_attribute a1 ON ic.indkey[ic.attpos] <> 0 AND a1.attrelid = ic.tbloid
                                                           AND a1.attnum = ic.indkey[ic.attpos]
                                  LEFT JOIN pg_attribute a2 ON ic.indkey[ic.attpos] = 0 AND a2.attrelid = ic.idxoid
                                                           AND a2.attnum = ic.attpos) i
                          JOIN pg_namespace n ON n.oid = i.relnamespace
                          JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = i.attrelname AND s.attname = i.attname
                         GROUP BY n.nspname, i.tblname, i.idxname, i.reltuples, i.relpages, i.fillfactor, i.idxoid) AS rows_data_stats
               ) AS rows_hdr_pdg_stats
       ) AS relation_stats
 ORDER BY nspname, tblname, idxname;
