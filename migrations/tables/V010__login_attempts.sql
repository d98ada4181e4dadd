-- V010__login_attempts.sql — table ecliptix.login_attempts.
-- Original (SQL Server): dbo.LoginAttempts.
-- One row per login attempt for a phone number string (which need not exist
-- in phone_numbers). Fix: lockouts are typed data, not 'LOCKED_UNTIL:<time>'
-- inside outcome: the failed attempt that starts a lockout carries
-- locked_until and lockout_number (1 = first consecutive lockout since the
-- last success). No unique_id / is_deleted: rows are deleted by retention.

create table ecliptix.login_attempts (
  id             bigint generated always as identity primary key,
  attempted_at   timestamptz not null default ecliptix_internal.now(),
  phone_number   varchar(18) not null,
  outcome        varchar(255) not null,
  is_success     boolean not null default false,
  locked_until   timestamptz null,
  lockout_number int null,
  created_at     timestamptz not null default ecliptix_internal.now(),
  updated_at     timestamptz not null default ecliptix_internal.now(),
  constraint login_attempts_phone_number_e164_check
    check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint login_attempts_lockout_number_check check (lockout_number >= 1),
  constraint login_attempts_lockout_state_check
    check ((locked_until is null) = (lockout_number is null)),
  constraint login_attempts_lockout_not_success_check
    check (not (is_success and locked_until is not null))
);

comment on table ecliptix.login_attempts is 'Login attempts and typed lockout state (SQL Server: LoginAttempts).';

-- Attempts per phone within the login window.
create index ix_login_attempts_phone_attempted
  on ecliptix.login_attempts (phone_number, attempted_at);

-- The phone's latest lockout.
create index ix_login_attempts_phone_lockouts
  on ecliptix.login_attempts (phone_number, attempted_at) where locked_until is not null;

-- The phone's latest success; retention clean-up of successful attempts.
create index ix_login_attempts_phone_success
  on ecliptix.login_attempts (phone_number, attempted_at) where is_success;
create index ix_login_attempts_success_attempted
  on ecliptix.login_attempts (attempted_at) where is_success;
