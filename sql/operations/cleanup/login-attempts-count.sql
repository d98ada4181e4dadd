-- cleanup: successful login attempts made before $1, except the newest success
-- of each phone number (login_membership counts lockouts since the last
-- success: without it, lockouts from before it would count again).
-- Indexes: ix_login_attempts_success_attempted (attempted_at) WHERE is_success;
-- per row, ix_login_attempts_phone_success (phone_number, attempted_at) WHERE
-- is_success finds the phone's newest success.
SELECT count(*) AS n
  FROM ecliptix.login_attempts a
 WHERE a.is_success AND a.attempted_at < $1::timestamptz
   AND (a.attempted_at, a.id) < (SELECT b.attempted_at, b.id
                                   FROM ecliptix.login_attempts b
                                  WHERE b.phone_number = a.phone_number AND b.is_success
                                  ORDER BY b.attempted_at DESC, b.id DESC
                                  LIMIT 1);
