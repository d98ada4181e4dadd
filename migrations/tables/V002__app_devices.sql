-- V002__app_devices.sql — table ecliptix.app_devices.
-- Original (SQL Server): dbo.AppDevices.
-- One row per installed application instance / device. device_id is unique
-- among active (not soft-deleted) rows; other tables refer to a device by its
-- unique_id.

create table ecliptix.app_devices (
  id              bigint generated always as identity primary key,
  unique_id       uuid not null default gen_random_uuid(),
  app_instance_id uuid not null,
  device_id       uuid not null,
  device_type     int not null default 1,
  created_at      timestamptz not null default ecliptix_internal.now(),
  updated_at      timestamptz not null default ecliptix_internal.now(),
  is_deleted      boolean not null default false,
  constraint app_devices_unique_id_key unique (unique_id)
);

comment on table ecliptix.app_devices is 'Registered app devices (SQL Server: AppDevices).';

-- register_app_device_if_not_exists: INSERT ... ON CONFLICT on this index.
create unique index ux_app_devices_device_id_active
  on ecliptix.app_devices (device_id) where not is_deleted;

create index ix_app_devices_app_instance_id
  on ecliptix.app_devices (app_instance_id) where not is_deleted;
