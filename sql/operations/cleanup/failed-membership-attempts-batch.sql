-- cleanup: delete up to $2 failed membership attempts made before $1 (the
-- failed-attempt cut-off: failed_attempt_retention_days ago, and never inside
-- membership_attempt_window), soft-deleted or not, skipping rows that live
-- traffic holds locked.
-- Index: ix_membership_attempts_failure_attempted ((attempted_at AT TIME ZONE
-- 'UTC')) WHERE NOT is_success, then the primary key. (attempted_at in UTC: in
-- the same order, and only the clean-up uses it, see V015.) In index order
-- (oldest first).
-- Returns n, the number of rows deleted.
WITH changed AS (
  DELETE FROM ecliptix.membership_attempts
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.membership_attempts
            WHERE NOT is_success AND (attempted_at AT TIME ZONE 'UTC') < ($1::timestamptz AT TIME ZONE 'UTC')
            ORDER BY (attempted_at AT TIME ZONE 'UTC')
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
