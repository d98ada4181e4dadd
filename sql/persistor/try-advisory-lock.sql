-- The migrator's run lock ($1: a fixed bigint key); session-level, released by unlock or disconnect.
SELECT pg_try_advisory_lock($1::bigint) AS acquired;
