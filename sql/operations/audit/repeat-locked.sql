-- audit: the numbers locked more than once since $1, most lockouts first (at
-- most $2), each masked here, in the database — its country calling code and
-- last two digits: the whole number never reaches the tool.
SELECT coalesce(ecliptix_internal.calling_code(l.phone_number), '+?') || ' …' || right(l.phone_number, 2) AS masked_number,
       count(*)                                                                                      AS lockouts,
       max(l.attempted_at)                                                                           AS last_lockout
  FROM ecliptix.login_attempts l
 WHERE l.attempted_at >= $1::timestamptz AND l.locked_until IS NOT NULL
 GROUP BY l.phone_number
HAVING count(*) > 1
 ORDER BY count(*) DESC, max(l.attempted_at) DESC
 LIMIT $2;
