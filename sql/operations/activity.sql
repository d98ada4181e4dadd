-- status and metrics: activity in the last $1 (an interval: status, as the
-- seed's status check did, the last 24 hours; metrics also the last hour) by
-- the database clock (ecliptix_internal.now()), counted
-- over the rows that are not soft-deleted (the clean-up soft-deletes only
-- rows older than its retention, at least a day, so it never takes a row out
-- of a window of up to a day).
-- Each count is an index range scan over the window, whatever the table's
-- size (1M rows per table: ~40 ms in all, against 0.45-0.6 s with sequential
-- and full index scans):
--   flows            ix_verification_flows_created (created_at) WHERE NOT
--                    is_deleted (V017), the status read from the rows (the
--                    list of the four the table's CHECK constraint allows
--                    stays: test/operations/status-counts.test.ts checks that
--                    it still matches it)
--   OTPs             ix_otp_records_created, likewise
--   failed checks    ix_failed_otp_attempts_attempt_time (attempt_time) WHERE NOT is_deleted
--   memberships      ix_memberships_created_at (created_at) WHERE NOT is_deleted (V016)
--   login attempts   the successes' ix_login_attempts_success_attempted
--                    (attempted_at) WHERE is_success plus the failures'
--                    ix_login_attempts_failure_attempted
--                    ((attempted_at AT TIME ZONE 'UTC')) WHERE NOT is_success
--                    (is_success is NOT NULL: the two hold every row; the
--                    caller adds successful_logins and failed_logins up)
--   key releases     login_membership's 'key_released' rows (is_success false:
--                    not a sign-in until the application confirms it), in the
--                    failures' range
--   lockouts         failures (a CHECK constraint), so the failures' range, or
--                    the lockouts' own partial index (one entry per lockout),
--                    whichever the planner finds cheaper
-- OFFSET 0 keeps the clock call in its own subquery, evaluated once: pulled
-- up, it became part of every count's filter and was called for each row
-- scanned (12.7 s instead of 0.45 s with 1M rows per table).
SELECT (SELECT count(*) FROM ecliptix.verification_flows
         WHERE status IN ('pending', 'verified', 'expired', 'failed') AND created_at > c.since AND NOT is_deleted) AS flows_created,
       (SELECT count(*) FROM ecliptix.verification_flows
         WHERE status = 'verified' AND created_at > c.since AND NOT is_deleted)                                   AS flows_verified,
       (SELECT count(*) FROM ecliptix.otp_records
         WHERE status IN ('pending', 'verified', 'expired', 'failed') AND created_at > c.since AND NOT is_deleted) AS otps_generated,
       (SELECT count(*) FROM ecliptix.failed_otp_attempts WHERE attempt_time > c.since AND NOT is_deleted)        AS failed_otp_checks,
       (SELECT count(*) FROM ecliptix.memberships WHERE created_at > c.since AND NOT is_deleted)                  AS memberships_created,
       (SELECT count(*) FROM ecliptix.login_attempts WHERE attempted_at > c.since AND is_success)                 AS successful_logins,
       (SELECT count(*) FROM ecliptix.login_attempts
         WHERE (attempted_at AT TIME ZONE 'UTC') > (c.since AT TIME ZONE 'UTC') AND NOT is_success)               AS failed_logins,
       (SELECT count(*) FROM ecliptix.login_attempts
         WHERE (attempted_at AT TIME ZONE 'UTC') > (c.since AT TIME ZONE 'UTC') AND NOT is_success
           AND locked_until IS NOT NULL)                                                                          AS lockouts,
       (SELECT count(*) FROM ecliptix.login_attempts
         WHERE (attempted_at AT TIME ZONE 'UTC') > (c.since AT TIME ZONE 'UTC') AND NOT is_success
           AND outcome = 'key_released')                                                                          AS key_releases,
       c.since                                                                                                    AS since
  FROM (SELECT ecliptix_internal.now() - $1::interval AS since OFFSET 0) c;
