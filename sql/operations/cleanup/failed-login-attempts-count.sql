-- cleanup: failed login attempts made before $1 (the failed-attempt cut-off),
-- except a lockout that has not ended by then.
-- Index: ix_login_attempts_failure_attempted ((attempted_at AT TIME ZONE 'UTC')) WHERE NOT is_success
-- (attempted_at in UTC: in the same order, and only the clean-up uses it, see V015).
SELECT count(*) AS n
  FROM ecliptix.login_attempts
 WHERE NOT is_success AND (attempted_at AT TIME ZONE 'UTC') < ($1::timestamptz AT TIME ZONE 'UTC')
   AND (locked_until IS NULL OR locked_until < $1::timestamptz);
