-- maintain: how long each of this session's statements may wait for a lock
-- ($1, e.g. '5000ms'; '0' turns the limit off again), for the whole session:
-- REINDEX and DROP INDEX CONCURRENTLY run outside any transaction.
SELECT set_config('lock_timeout', $1::text, false) AS lock_timeout;
