-- metrics: phone numbers whose sign-in is locked now (a lockout's
-- locked_until still ahead of the database clock). Reads the lockouts' own
-- partial index, ix_login_attempts_phone_lockouts (one entry per lockout).
SELECT count(DISTINCT a.phone_number) AS locked_phone_numbers
  FROM ecliptix.login_attempts a,
       (SELECT ecliptix_internal.now() AS now OFFSET 0) c
 WHERE a.locked_until IS NOT NULL AND a.locked_until > c.now;
