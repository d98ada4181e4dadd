-- cleanup: for one batch's transaction, give up rather than queue behind a
-- long-held table lock (a migration, say) for more than $1; and commit without
-- waiting for the WAL flush (synchronous_commit off, this transaction only):
-- a batch lost to a crash is one the next run does again (every rule takes
-- what still matches), so its commit need not be durable the moment it
-- returns, and the walwriter flushes the batch's WAL (megabytes: each row's
-- new version, index entries, the pages' first images after a checkpoint)
-- while the next batch runs. The sign-ups' own commits stay synchronous.
SELECT set_config('lock_timeout', $1::text, true) AS lock_timeout,
       set_config('synchronous_commit', 'off', true) AS synchronous_commit;
