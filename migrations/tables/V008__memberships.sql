-- V008__memberships.sql — table ecliptix.memberships.
-- Original (SQL Server): dbo.Memberships.
-- A membership of a phone number on a device, created from a verified
-- registration flow; secure_key is set afterwards. One active membership per
-- (phone, device). Fix: status allows 'blocked' (the original checked for it
-- in code but its CHECK did not allow it).

create table ecliptix.memberships (
  id                   bigint generated always as identity primary key,
  unique_id            uuid not null default gen_random_uuid(),
  phone_number_id      uuid not null
    constraint memberships_phone_number_id_fkey references ecliptix.phone_numbers (unique_id),
  app_device_id        uuid not null
    constraint memberships_app_device_id_fkey references ecliptix.app_devices (unique_id),
  verification_flow_id uuid not null
    constraint memberships_verification_flow_id_fkey references ecliptix.verification_flows (unique_id),
  secure_key           bytea null,
  status               text not null default 'inactive',
  creation_status      text null,
  created_at           timestamptz not null default ecliptix_internal.now(),
  updated_at           timestamptz not null default ecliptix_internal.now(),
  is_deleted           boolean not null default false,
  constraint memberships_unique_id_key unique (unique_id),
  constraint memberships_status_check
    check (status in ('active', 'inactive', 'blocked')),
  constraint memberships_creation_status_check
    check (creation_status in ('otp_verified', 'secure_key_set', 'passphrase_set')),
  constraint memberships_secure_key_check check (length(secure_key) > 0)
);

comment on table ecliptix.memberships is 'Memberships per phone and device (SQL Server: Memberships).';

-- One active membership per (phone, device).
create unique index ux_memberships_phone_device_active
  on ecliptix.memberships (phone_number_id, app_device_id) where not is_deleted;

-- FK phone_number_id (the partial index above cannot serve FK checks).
create index ix_memberships_phone_number_id
  on ecliptix.memberships (phone_number_id);

-- FK app_device_id.
create index ix_memberships_app_device_id
  on ecliptix.memberships (app_device_id);

-- FK verification_flow_id.
create index ix_memberships_verification_flow_id
  on ecliptix.memberships (verification_flow_id);
