-- cleanup: the retention periods and the instants the rules compare with,
-- fixed once per run by the database clock. $1 / $2 / $3 / $4 override
-- retention_days / event_log_retention_days / failed_attempt_retention_days /
-- limit_guard_retention_days (NULL: use the settings rows). The instants come back as text so that they
-- return to the database without losing precision.
-- now: flows and OTPs whose expires_at is at or before it have expired (the
-- procedures' own test: expires_at <= now).
-- The failed-attempt cut-offs never fall inside a window over which the
-- procedures count those rows (login_attempt_window for the login lockout and
-- key_release_window for key releases, which are login_attempts rows with
-- is_success false too; membership_attempt_window for create_membership's
-- rate limit), so a short retention cannot lift a running limit.
-- The limit-guard cut-off is on the server's clock (pg_catalog.now(), not
-- clock_offset), which take_guard stamps touched_at with.
SELECT c.retention_days,
       c.event_log_retention_days,
       c.failed_attempt_retention_days,
       c.limit_guard_retention_days,
       c.now::text                                                                  AS now,
       (c.now - make_interval(days => c.retention_days))::text                      AS cutoff,
       (c.now - make_interval(days => c.event_log_retention_days))::text            AS event_log_cutoff,
       least(c.now - make_interval(days => c.failed_attempt_retention_days),
             c.now - ecliptix_internal.setting_interval('login_attempt_window'),
             c.now - ecliptix_internal.setting_interval('key_release_window'))::text        AS failed_login_cutoff,
       least(c.now - make_interval(days => c.failed_attempt_retention_days),
             c.now - ecliptix_internal.setting_interval('membership_attempt_window'))::text AS failed_membership_cutoff,
       (pg_catalog.now() - make_interval(days => c.limit_guard_retention_days))::text      AS limit_guard_cutoff
  FROM (SELECT ecliptix_internal.now()                                                         AS now,
               coalesce($1::int, ecliptix_internal.setting_int('retention_days'))                AS retention_days,
               coalesce($2::int, ecliptix_internal.setting_int('event_log_retention_days'))      AS event_log_retention_days,
               coalesce($3::int, ecliptix_internal.setting_int('failed_attempt_retention_days')) AS failed_attempt_retention_days,
               coalesce($4::int, ecliptix_internal.setting_int('limit_guard_retention_days'))    AS limit_guard_retention_days) c;
