-- cleanup: successful membership attempts made before $1, not yet soft-deleted.
-- Index: ix_membership_attempts_success_attempted (attempted_at) WHERE is_success AND NOT is_deleted.
SELECT count(*) AS n
  FROM ecliptix.membership_attempts
 WHERE is_success AND attempted_at < $1::timestamptz AND NOT is_deleted;
