-- try-lock.sql — one import at a time per database: a transaction-level
-- advisory lock on $1, released when the import commits or rolls back.
select pg_catalog.pg_try_advisory_xact_lock($1::bigint) as acquired
