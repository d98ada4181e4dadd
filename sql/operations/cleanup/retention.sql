-- cleanup: the retention periods and the cut-off instants, fixed once per run
-- by the database clock. $1 / $2 override retention_days /
-- event_log_retention_days (NULL: use the settings rows). The cut-offs come
-- back as text so that they return to the database without losing precision.
SELECT c.retention_days,
       c.event_log_retention_days,
       (c.now - make_interval(days => c.retention_days))::text           AS cutoff,
       (c.now - make_interval(days => c.event_log_retention_days))::text AS event_log_cutoff
  FROM (SELECT ecliptix_internal.now()                                                    AS now,
               coalesce($1::int, ecliptix_internal.setting_int('retention_days'))           AS retention_days,
               coalesce($2::int, ecliptix_internal.setting_int('event_log_retention_days')) AS event_log_retention_days) c;
