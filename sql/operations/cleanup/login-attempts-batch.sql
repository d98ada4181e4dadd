-- cleanup: delete up to $2 successful login attempts made before $1, except
-- the newest success of each phone number (see login-attempts-count.sql);
-- failures are kept for security analysis. Skips rows that live traffic holds
-- locked.
-- Indexes: ix_login_attempts_success_attempted (attempted_at) WHERE is_success;
-- ix_login_attempts_phone_success (phone_number, attempted_at) WHERE is_success;
-- then the primary key.
DELETE FROM ecliptix.login_attempts
 WHERE id = ANY (ARRAY(
         SELECT a.id
           FROM ecliptix.login_attempts a
          WHERE a.is_success AND a.attempted_at < $1::timestamptz
            AND EXISTS (SELECT 1
                          FROM ecliptix.login_attempts b
                         WHERE b.phone_number = a.phone_number AND b.is_success
                           AND (b.attempted_at, b.id) > (a.attempted_at, a.id))
          LIMIT $2
            FOR UPDATE OF a SKIP LOCKED));
