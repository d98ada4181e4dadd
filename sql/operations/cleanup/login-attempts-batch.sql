-- cleanup: delete up to $2 successful login attempts made before $1, except
-- the newest success of each phone number (see login-attempts-count.sql);
-- failures are kept for security analysis. Skips rows that live traffic holds
-- locked. Walks the rows in (attempted_at, id) order from the previous batch's
-- last row ($3, $4; start with '-infinity', 0), so the newest successes that
-- stay are passed over once per run, not once per batch.
-- Indexes: ix_login_attempts_success_attempted (attempted_at) WHERE is_success;
-- per row, ix_login_attempts_phone_success (phone_number, attempted_at) WHERE
-- is_success; then the primary key.
-- Returns n, the number of rows deleted, and last_at/last_id, where the next
-- batch starts (NULL when none was deleted).
WITH changed AS (
  DELETE FROM ecliptix.login_attempts
   WHERE id = ANY (ARRAY(
           SELECT a.id
             FROM ecliptix.login_attempts a
            WHERE a.is_success AND a.attempted_at < $1::timestamptz
              AND a.attempted_at >= $3::timestamptz AND (a.attempted_at, a.id) > ($3::timestamptz, $4::bigint)
              AND (a.attempted_at, a.id) < (SELECT b.attempted_at, b.id
                                              FROM ecliptix.login_attempts b
                                             WHERE b.phone_number = a.phone_number AND b.is_success
                                             ORDER BY b.attempted_at DESC, b.id DESC
                                             LIMIT 1)
            ORDER BY a.attempted_at, a.id
            LIMIT $2
              FOR UPDATE OF a SKIP LOCKED))
  RETURNING attempted_at, id
)
SELECT (SELECT count(*) FROM changed) AS n, last.attempted_at::text AS last_at, last.id AS last_id
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (SELECT attempted_at, id FROM changed ORDER BY attempted_at DESC, id DESC LIMIT 1) AS last ON true;
