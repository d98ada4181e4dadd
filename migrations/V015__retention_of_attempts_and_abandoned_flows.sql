-- V015__retention_of_attempts_and_abandoned_flows.sql — support (none of the 36 objects).
-- The clean-up's rules against unbounded growth (issue 10): failed login and
-- membership attempts, which anyone can add without signing in, were kept
-- for ever. They are now deleted after failed_attempt_retention_days (90 by
-- default, long past every rate-limit window that counts them). The two
-- partial indexes let each clean-up batch read only the failures, oldest
-- first, instead of scanning the whole table. Limit guards (V014: one row
-- per phone number anyone tries to sign in with) are deleted after
-- limit_guard_retention_days untouched; they are walked by their primary
-- key, as an index on touched_at would cost every take_guard its HOT update.
-- (Abandoned flows and OTPs need no new index:
-- ix_verification_flows_status_expires and ix_otp_records_status_expires
-- serve them.)

insert into ecliptix_internal.settings (name, value, description) values
  ('failed_attempt_retention_days', '90',
   'Age in days after which the clean-up deletes failed login attempts (key releases included) and failed membership attempts.'),
  ('limit_guard_retention_days', '1',
   'Days after its last use after which the clean-up deletes a limit guard row (ecliptix_internal.limit_guards).')
on conflict (name) do nothing;

-- Retention clean-up of failed attempts (older than failed_attempt_retention_days).
-- The indexed value is attempted_at in UTC (the same order), not attempted_at
-- itself: an index on (attempted_at) where not is_success also answers the
-- procedures' per-number counts ("not is_success and attempted_at > now -
-- window"), and the planner — whose statistics end before the newest rows —
-- preferred it to the per-number index, so each login or membership call
-- would read every recent failure of every number, most of all under attack.
-- Only the clean-up filters on this expression.
create index ix_login_attempts_failure_attempted
  on ecliptix.login_attempts ((attempted_at at time zone 'UTC')) where not is_success;

create index ix_membership_attempts_failure_attempted
  on ecliptix.membership_attempts ((attempted_at at time zone 'UTC')) where not is_success;
