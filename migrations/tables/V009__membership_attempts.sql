-- V009__membership_attempts.sql — table ecliptix.membership_attempts.
-- Original (SQL Server): dbo.MembershipAttempts.
-- Audit of membership operations per phone; the failures within
-- membership_attempt_window rate-limit create_membership.

create table ecliptix.membership_attempts (
  id              bigint generated always as identity primary key,
  unique_id       uuid not null default gen_random_uuid(),
  phone_number_id uuid not null
    constraint membership_attempts_phone_number_id_fkey references ecliptix.phone_numbers (unique_id),
  attempted_at    timestamptz not null default ecliptix_internal.now(),
  outcome         varchar(255) not null,
  is_success      boolean not null default false,
  created_at      timestamptz not null default ecliptix_internal.now(),
  updated_at      timestamptz not null default ecliptix_internal.now(),
  is_deleted      boolean not null default false,
  constraint membership_attempts_unique_id_key unique (unique_id)
);

comment on table ecliptix.membership_attempts is 'Membership attempts, audit and rate limit (SQL Server: MembershipAttempts).';

-- FK phone_number_id; failed attempts per phone within a time window.
create index ix_membership_attempts_phone_attempted
  on ecliptix.membership_attempts (phone_number_id, attempted_at);

-- Retention clean-up (successful attempts older than retention_days).
create index ix_membership_attempts_success_attempted
  on ecliptix.membership_attempts (attempted_at) where is_success and not is_deleted;
