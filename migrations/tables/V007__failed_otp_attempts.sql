-- V007__failed_otp_attempts.sql — table ecliptix.failed_otp_attempts.
-- Original (SQL Server): dbo.FailedOtpAttempts.
-- One row per failed OTP check (written by update_otp_status with 'failed');
-- counted per flow to fail the flow after max_failed_otp_checks_per_flow.
-- No unique_id.

create table ecliptix.failed_otp_attempts (
  id             bigint generated always as identity primary key,
  otp_unique_id  uuid not null
    constraint failed_otp_attempts_otp_unique_id_fkey references ecliptix.otp_records (unique_id),
  flow_unique_id uuid not null
    constraint failed_otp_attempts_flow_unique_id_fkey references ecliptix.verification_flows (unique_id),
  attempt_time   timestamptz not null default ecliptix_internal.now(),
  created_at     timestamptz not null default ecliptix_internal.now(),
  updated_at     timestamptz not null default ecliptix_internal.now(),
  is_deleted     boolean not null default false
);

comment on table ecliptix.failed_otp_attempts is 'Failed OTP checks (SQL Server: FailedOtpAttempts).';

-- FK otp_unique_id.
create index ix_failed_otp_attempts_otp_unique_id
  on ecliptix.failed_otp_attempts (otp_unique_id);

-- FK flow_unique_id; failed checks per flow.
create index ix_failed_otp_attempts_flow_unique_id
  on ecliptix.failed_otp_attempts (flow_unique_id);

-- Retention clean-up (older than retention_days).
create index ix_failed_otp_attempts_attempt_time
  on ecliptix.failed_otp_attempts (attempt_time) where not is_deleted;
