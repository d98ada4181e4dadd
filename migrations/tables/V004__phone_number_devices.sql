-- V004__phone_number_devices.sql — table ecliptix.phone_number_devices.
-- Original (SQL Server): dbo.PhoneNumberDevices.
-- Links a phone number to the devices that use it (primary key = the pair;
-- no id / unique_id). A link is soft-deleted and re-activated, never
-- duplicated; at most one active link per phone is primary.

create table ecliptix.phone_number_devices (
  phone_number_id uuid not null
    constraint phone_number_devices_phone_number_id_fkey references ecliptix.phone_numbers (unique_id),
  app_device_id   uuid not null
    constraint phone_number_devices_app_device_id_fkey references ecliptix.app_devices (unique_id),
  is_primary      boolean not null default false,
  created_at      timestamptz not null default ecliptix_internal.now(),
  updated_at      timestamptz not null default ecliptix_internal.now(),
  is_deleted      boolean not null default false,
  constraint phone_number_devices_pkey primary key (phone_number_id, app_device_id)
);

comment on table ecliptix.phone_number_devices is 'Phone number <-> device links (SQL Server: PhoneNumberDevices).';

-- At most one active primary device per phone.
create unique index ux_phone_number_devices_primary_active
  on ecliptix.phone_number_devices (phone_number_id) where is_primary and not is_deleted;

-- FK app_device_id (phone_number_id is served by the primary key).
create index ix_phone_number_devices_app_device_id
  on ecliptix.phone_number_devices (app_device_id);
