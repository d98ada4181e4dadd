-- V006__otp_records.sql — table ecliptix.otp_records.
-- Original (SQL Server): dbo.OtpRecords.
-- One-time passwords sent for a verification flow: only a hash and its salt
-- are stored (text, as encoded by the application), never the plain code. At
-- most one active OTP per flow (a new OTP deactivates the earlier ones).

create table ecliptix.otp_records (
  id              bigint generated always as identity primary key,
  unique_id       uuid not null default gen_random_uuid(),
  flow_unique_id  uuid not null
    constraint otp_records_flow_unique_id_fkey references ecliptix.verification_flows (unique_id),
  phone_number_id bigint not null
    constraint otp_records_phone_number_id_fkey references ecliptix.phone_numbers (id),
  otp_hash        text not null,
  otp_salt        text not null,
  expires_at      timestamptz not null,
  status          text not null default 'pending',
  is_active       boolean not null default true,
  created_at      timestamptz not null default ecliptix_internal.now(),
  updated_at      timestamptz not null default ecliptix_internal.now(),
  is_deleted      boolean not null default false,
  constraint otp_records_unique_id_key unique (unique_id),
  constraint otp_records_status_check
    check (status in ('pending', 'verified', 'expired', 'failed')),
  constraint otp_records_otp_hash_check check (otp_hash <> ''),
  constraint otp_records_otp_salt_check check (otp_salt <> '')
);

comment on table ecliptix.otp_records is 'OTP hashes per verification flow (SQL Server: OtpRecords).';

-- At most one active OTP per flow.
create unique index ux_otp_records_flow_active
  on ecliptix.otp_records (flow_unique_id) where is_active and not is_deleted;

-- FK flow_unique_id; the flow's latest OTP (resend cooldown, flow state).
create index ix_otp_records_flow_created
  on ecliptix.otp_records (flow_unique_id, created_at);

-- FK phone_number_id.
create index ix_otp_records_phone_number_id
  on ecliptix.otp_records (phone_number_id);

-- Sweeps of OTPs past their expiry, by status.
create index ix_otp_records_status_expires
  on ecliptix.otp_records (status, expires_at) where not is_deleted;

-- Retention clean-up (expired/failed/verified OTPs older than retention_days).
create index ix_otp_records_status_created
  on ecliptix.otp_records (status, created_at) where not is_deleted;
