-- report: activity per day (UTC) over the last $1 days by the database clock
-- (ecliptix_internal.now()), today included, a row for every day (0 when
-- nothing happened), counted as status counts its last 24 hours
-- (sql/operations/activity.sql): rows not soft-deleted, each table read by
-- the index on its time column over the period only.
-- Sign-ins: success = confirmed by the application (is_success), failure =
-- the other rows but key releases (login_membership's 'key_released', not a
-- failure), lockouts = failures that started one (locked_until set).
WITH period AS (
  SELECT (date_trunc('day', ecliptix_internal.now() AT TIME ZONE 'UTC') - make_interval(days => $1::int - 1)) AS first_day,
         (date_trunc('day', ecliptix_internal.now() AT TIME ZONE 'UTC') - make_interval(days => $1::int - 1)) AT TIME ZONE 'UTC' AS since
  OFFSET 0
),
days AS (
  SELECT d::date AS day
    FROM period, generate_series(period.first_day, period.first_day + make_interval(days => $1::int - 1), interval '1 day') AS d
),
flows AS (
  SELECT (f.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS started, count(*) FILTER (WHERE f.status = 'verified') AS verified
    FROM ecliptix.verification_flows f, period
   WHERE f.created_at >= period.since AND NOT f.is_deleted
   GROUP BY 1
),
codes AS (
  SELECT (o.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS issued
    FROM ecliptix.otp_records o, period
   WHERE o.created_at >= period.since AND NOT o.is_deleted
   GROUP BY 1
),
failed_checks AS (
  SELECT (a.attempt_time AT TIME ZONE 'UTC')::date AS day, count(*) AS failed
    FROM ecliptix.failed_otp_attempts a, period
   WHERE a.attempt_time >= period.since AND NOT a.is_deleted
   GROUP BY 1
),
members AS (
  SELECT (m.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS created
    FROM ecliptix.memberships m, period
   WHERE m.created_at >= period.since AND NOT m.is_deleted
   GROUP BY 1
),
sign_ins AS (
  SELECT (l.attempted_at AT TIME ZONE 'UTC')::date AS day,
         count(*) FILTER (WHERE l.is_success) AS succeeded,
         count(*) FILTER (WHERE NOT l.is_success AND l.outcome <> 'key_released') AS failed,
         count(*) FILTER (WHERE l.locked_until IS NOT NULL) AS lockouts
    FROM ecliptix.login_attempts l, period
   WHERE l.attempted_at >= period.since
   GROUP BY 1
)
SELECT to_char(days.day, 'YYYY-MM-DD')    AS day, -- not ::text, which follows DateStyle
       coalesce(flows.started, 0)          AS flows_started,
       coalesce(flows.verified, 0)         AS flows_verified,
       coalesce(codes.issued, 0)           AS codes_issued,
       coalesce(failed_checks.failed, 0)   AS failed_checks,
       coalesce(members.created, 0)        AS memberships_created,
       coalesce(sign_ins.succeeded, 0)     AS sign_ins,
       coalesce(sign_ins.failed, 0)        AS failed_sign_ins,
       coalesce(sign_ins.lockouts, 0)      AS lockouts
  FROM days
  LEFT JOIN flows USING (day)
  LEFT JOIN codes USING (day)
  LEFT JOIN failed_checks USING (day)
  LEFT JOIN members USING (day)
  LEFT JOIN sign_ins USING (day)
 ORDER BY days.day;
