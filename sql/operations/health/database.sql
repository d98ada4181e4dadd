-- health: the database as a whole — its size, the age of its oldest unfrozen
-- transaction id, the cache counters and the connection figures.
--   xid_age             age(datfrozenxid): transactions since the database was last frozen (wraparound at 2^31)
--   blks_hit/blks_read  pg_stat_database since stats_reset (NULL: never reset, i.e. since the cluster started)
--   connections         backends of any database on the server (pg_stat_activity, client backends)
--   max_connections     minus superuser_reserved_connections: what ordinary roles may use
SELECT current_database()                                                       AS database_name,
       pg_database_size(current_database())::float8                             AS database_bytes,
       age(d.datfrozenxid)::float8                                              AS xid_age,
       sd.blks_hit::float8                                                      AS blks_hit,
       sd.blks_read::float8                                                     AS blks_read,
       extract(epoch FROM now() - sd.stats_reset)::float8                       AS stats_reset_age_s,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::float8 AS connections,
       (current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int)::float8
                                                                                AS max_connections,
       current_setting('server_version')                                        AS server_version
  FROM pg_database d
  LEFT JOIN pg_stat_database sd ON sd.datid = d.oid
 WHERE d.datname = current_database();
