-- V005__verification_flows.sql — table ecliptix.verification_flows.
-- Original (SQL Server): dbo.VerificationFlows.
-- A phone verification for one device and purpose: pending until verified
-- (then valid verified_flow_lifetime), expired or failed. At most one active
-- pending flow per (app_device_id, phone_number_id, purpose). otp_count counts
-- the OTPs sent for the flow.

create table ecliptix.verification_flows (
  id              bigint generated always as identity primary key,
  unique_id       uuid not null default gen_random_uuid(),
  phone_number_id bigint not null
    constraint verification_flows_phone_number_id_fkey references ecliptix.phone_numbers (id),
  app_device_id   uuid not null
    constraint verification_flows_app_device_id_fkey references ecliptix.app_devices (unique_id),
  status          text not null default 'pending',
  purpose         text not null default 'unspecified',
  expires_at      timestamptz not null,
  otp_count       smallint not null default 0,
  connection_id   bigint null,
  created_at      timestamptz not null default ecliptix_internal.now(),
  updated_at      timestamptz not null default ecliptix_internal.now(),
  is_deleted      boolean not null default false,
  constraint verification_flows_unique_id_key unique (unique_id),
  constraint verification_flows_status_check
    check (status in ('pending', 'verified', 'expired', 'failed')),
  constraint verification_flows_purpose_check
    check (purpose in ('unspecified', 'registration', 'login', 'password_recovery', 'update_phone')),
  constraint verification_flows_otp_count_check check (otp_count >= 0)
);

comment on table ecliptix.verification_flows is 'Phone verification flows (SQL Server: VerificationFlows).';

-- At most one active pending flow per (device, phone, purpose).
create unique index ux_verification_flows_pending_active
  on ecliptix.verification_flows (app_device_id, phone_number_id, purpose)
  where status = 'pending' and not is_deleted;

-- FK app_device_id; initiate_verification_flow's lookups of the verified /
-- stale pending flows of one (device, phone, purpose).
create index ix_verification_flows_device_phone_purpose
  on ecliptix.verification_flows (app_device_id, phone_number_id, purpose, status, expires_at);

-- FK phone_number_id; flows per phone per time window (rate limit).
create index ix_verification_flows_phone_created
  on ecliptix.verification_flows (phone_number_id, created_at);

-- Sweeps of flows past their expiry, by status.
create index ix_verification_flows_status_expires
  on ecliptix.verification_flows (status, expires_at) where not is_deleted;

-- Retention clean-up (expired/failed flows older than retention_days).
create index ix_verification_flows_status_created
  on ecliptix.verification_flows (status, created_at) where not is_deleted;
