-- set-lock-timeout.sql — how long the import's statements wait for a table lock
-- (a migration, a merge's lock against the application), for this transaction only.
select pg_catalog.set_config('lock_timeout', $1, true)
