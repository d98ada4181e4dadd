-- rotate-keys: for one batch's transaction, give up rather than queue behind
-- a long-held table lock (a migration, say) for more than $1.
SELECT set_config('lock_timeout', $1::text, true) AS lock_timeout;
