-- cleanup: failed membership attempts made before $1 (the failed-attempt cut-off).
-- Index: ix_membership_attempts_failure_attempted ((attempted_at AT TIME ZONE 'UTC')) WHERE NOT is_success
-- (attempted_at in UTC: in the same order, and only the clean-up uses it, see V015).
SELECT count(*) AS n
  FROM ecliptix.membership_attempts
 WHERE NOT is_success AND (attempted_at AT TIME ZONE 'UTC') < ($1::timestamptz AT TIME ZONE 'UTC');
