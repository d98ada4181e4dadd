-- cleanup: delete up to $2 failed login attempts (key releases included) made
-- before $1 (the failed-attempt cut-off: failed_attempt_retention_days ago, and
-- never inside login_attempt_window or key_release_window), skipping rows that
-- live traffic holds locked. A lockout stays until its locked_until is before
-- the cut-off too, so a running lockout is never lifted.
-- Index: ix_login_attempts_failure_attempted ((attempted_at AT TIME ZONE 'UTC'))
-- WHERE NOT is_success, then the primary key. (attempted_at in UTC: in the same
-- order, and only the clean-up uses it, see V015.) In index order (oldest
-- first): that keeps the plan an index scan even when nearly every row has expired.
-- Returns n, the number of rows deleted.
WITH changed AS (
  DELETE FROM ecliptix.login_attempts
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.login_attempts
            WHERE NOT is_success AND (attempted_at AT TIME ZONE 'UTC') < ($1::timestamptz AT TIME ZONE 'UTC')
              AND (locked_until IS NULL OR locked_until < $1::timestamptz)
            ORDER BY (attempted_at AT TIME ZONE 'UTC')
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
