-- cleanup: delete the limit guards last taken before $1 (the limit-guard
-- cut-off: limit_guard_retention_days before the server's clock, which
-- touched_at uses) among the next $2 guards in key order after $3 (the
-- previous batch's last key; start with ''), skipping guards that a routine
-- holds right now. A guard row only serialises the callers of one key: the
-- next caller inserts it again (take_guard), and a day after its last use no
-- transaction still holds a snapshot from before that use, so nothing is lost.
-- Each batch reads a slice of at most $2 keys of limit_guards_pkey, whatever
-- matches: touched_at has no index on purpose — every take_guard updates
-- touched_at, and an index on it would turn each of those HOT updates into a
-- write to every index of the table. The walk covers the table once per run.
-- Index: limit_guards_pkey (key), for the slice and for the rows it deletes.
-- Returns n, the number of rows deleted; last_at, the slice's last key, where
-- the next batch starts; more, whether the slice was full (false: the walk
-- reached the end).
WITH slice AS (
  SELECT key
    FROM ecliptix_internal.limit_guards
   WHERE key > $3::text
   ORDER BY key
   LIMIT $2
), changed AS (
  DELETE FROM ecliptix_internal.limit_guards
   WHERE key = ANY (ARRAY(
           SELECT key
             FROM ecliptix_internal.limit_guards
            WHERE key > $3::text AND key <= (SELECT max(key) FROM slice)
              AND touched_at < $1::timestamptz
            ORDER BY key
              FOR UPDATE SKIP LOCKED))
  RETURNING key
)
SELECT (SELECT count(*) FROM changed) AS n,
       (SELECT max(key) FROM slice) AS last_at,
       (SELECT count(*) FROM slice) = $2 AS more;
