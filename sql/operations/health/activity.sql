-- health: the other sessions of this database that are running a statement
-- or sit in an open transaction, and for how long — never the statement's
-- text (it may hold a phone number or a key). Client backends only; this
-- session is left out.
--   running_s  seconds since the statement began (state active)
--   idle_s     seconds since the session went idle in its transaction
--   xact_s     seconds since the transaction began
SELECT a.pid,
       a.usename::text                                                AS user_name,
       nullif(a.application_name, '')                                 AS application_name,
       a.state,
       extract(epoch FROM clock_timestamp() - a.query_start)::float8  AS running_s,
       extract(epoch FROM clock_timestamp() - a.state_change)::float8 AS idle_s,
       extract(epoch FROM clock_timestamp() - a.xact_start)::float8   AS xact_s,
       a.wait_event_type
  FROM pg_stat_activity a
 WHERE a.datname = current_database()
   AND a.pid <> pg_backend_pid()
   AND a.backend_type = 'client backend'
   AND a.state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')
 ORDER BY a.xact_start NULLS LAST;
