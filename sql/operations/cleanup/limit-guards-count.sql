-- cleanup: limit guards (ecliptix_internal.limit_guards, V014) last taken
-- before $1 (the limit-guard cut-off, on the server's own clock, as
-- touched_at is). Once per run; touched_at has no index (see
-- limit-guards-batch.sql), so this reads the whole table, which the rule keeps
-- to the keys taken within the period.
SELECT count(*) AS n
  FROM ecliptix_internal.limit_guards
 WHERE touched_at < $1::timestamptz;
