-- V014__limits_on_every_path.sql — support for limits that hold on every path
-- (none of the 36 objects is added; two tables gain a column).
--
-- (ecliptix_internal objects are created "if not exists": verify's drift check
-- re-runs every migration beside the live ecliptix_internal.)
--
-- 1. Limit guards. Every routine that counts rows to enforce a limit first
--    takes the guard of what it limits (a phone, a phone number's logins) with
--    ecliptix_internal.take_guard(key): an INSERT ... ON CONFLICT DO UPDATE of
--    one row per key. The row lock serialises the callers of one key. And
--    because the row is *updated*, a caller whose snapshot is older than the
--    previous holder's commit — REPEATABLE READ or SERIALIZABLE, where a
--    transaction keeps the snapshot it started with — fails with 40001
--    (serialization_failure) instead of counting from a stale snapshot. (A
--    SELECT ... FOR UPDATE or an advisory lock waits just the same, but under
--    REPEATABLE READ it then counts rows as they were before the wait.) Under
--    READ COMMITTED each statement after the guard sees the previous holder's
--    rows. So a limit is either counted exactly or the call fails with the
--    standard retry error, at every isolation level.
-- 2. Settings for the new limits (see migrations/README.md).
-- 3. failed_otp_attempts.phone_number_id, so failed OTP checks can be counted
--    per phone across its flows (backfilled from the flows).
-- 4. login_attempts.calls_while_locked: calls on a locked number update the
--    lockout's row instead of inserting one row each.

create table if not exists ecliptix_internal.limit_guards (
  key        text primary key,
  version    bigint not null default 1,
  touched_at timestamptz not null default pg_catalog.now()
);

comment on table ecliptix_internal.limit_guards is
  'One row per limited key (phone:<id>, login:<E.164>). Updated by every call that counts toward that key''s limits; see ecliptix_internal.take_guard.';

create or replace function ecliptix_internal.take_guard(p_key text)
returns void
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  insert into ecliptix_internal.limit_guards as g (key) values (p_key)
  on conflict (key) do update set version = g.version + 1, touched_at = pg_catalog.now()
$$;

revoke all on function ecliptix_internal.take_guard(text) from public;

insert into ecliptix_internal.settings (name, value, description) values
  ('max_failed_otp_checks_per_phone',     '15',       'Failed OTP checks per phone number (across all its flows) within otp_check_window; past it every check of the number is refused.'),
  ('otp_check_window',                    '1 hour',   'Window over which max_failed_otp_checks_per_phone is counted.'),
  ('max_consecutive_failed_otp_checks',   '100',      'Failed OTP checks of a phone number since its last verified flow after which its checks are locked (NIST SP 800-63B 5.2.2).'),
  ('consecutive_otp_failure_lockout',     '24 hours', 'How long checks stay locked after the failure that reached max_consecutive_failed_otp_checks (and after each later one).'),
  ('max_key_releases_per_window',         '10',       'Secure-key releases (successful login_membership calls) per phone number within key_release_window without a confirmed sign-in; past it login_membership refuses and counts a failure.'),
  ('key_release_window',                  '1 hour',   'Window over which max_key_releases_per_window is counted, and within which a release can be confirmed.')
on conflict (name) do nothing;

alter table ecliptix.failed_otp_attempts
  add column phone_number_id bigint null
    constraint failed_otp_attempts_phone_number_id_fkey references ecliptix.phone_numbers (id);

update ecliptix.failed_otp_attempts a
   set phone_number_id = f.phone_number_id
  from ecliptix.verification_flows f
 where f.unique_id = a.flow_unique_id
   and a.phone_number_id is null;

-- Failed checks per phone within a window, and since its last verified flow.
create index ix_failed_otp_attempts_phone_time
  on ecliptix.failed_otp_attempts (phone_number_id, attempt_time);

-- The phone's latest verified code (its updated_at is when it was verified;
-- a verified code is final): resets the consecutive-failure count.
create index ix_otp_records_phone_verified
  on ecliptix.otp_records (phone_number_id, updated_at) where status = 'verified';

alter table ecliptix.login_attempts
  add column calls_while_locked int not null default 0;
