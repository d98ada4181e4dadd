-- metrics: the figures postgres_exporter also exports, for the connected
-- database only (named as postgres_exporter names them): its size, the
-- server's connection limit, and this database's sessions by state.
-- Every state postgres_exporter lists is returned, with 0 when no session
-- is in it, so that a series does not vanish when its count drops to 0.
SELECT current_database()                                  AS datname,
       pg_database_size(current_database())                AS database_size_bytes,
       current_setting('max_connections')::int             AS max_connections,
       (SELECT json_object_agg(s.state, coalesce(a.n, 0))
          FROM unnest(array['active', 'idle', 'idle in transaction', 'idle in transaction (aborted)',
                            'fastpath function call', 'disabled']) AS s(state)
          LEFT JOIN (SELECT state, count(*) AS n
                       FROM pg_stat_activity
                      WHERE datname = current_database()
                      GROUP BY state) a ON a.state = s.state) AS sessions_by_state;
