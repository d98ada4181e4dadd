-- Partition support, part 3: device rows for the proxy.
--
-- A device lives on the partition of its device_id's hash (where
-- register_app_device_if_not_exists ran). A routine of a phone's partition that
-- takes an app device id needs the device's row there (foreign keys). The
-- proxy calls the phone's partition's <routine>_with_device, which copies the
-- row (copy_app_device, generated with the table's columns) when it is handed
-- one and runs the routine, in one transaction. When the proxy did not read
-- the row ('{}'::jsonb) and it is neither there nor at home there, it raises
-- EXD01 (nothing written), and the proxy reads the row on the device's own
-- partition (app_device_row) and calls again with it. The _with_device functions and
-- copy_app_device are generated from the catalog (src/cluster/generate.ts).

-- The device's row as JSON, or NULL when this partition has none with that unique_id.
create or replace function ecliptix_partition.app_device_row(p_app_device_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.to_jsonb(d) from ecliptix.app_devices d where d.unique_id = p_app_device_id
$$;

-- Whether an identifier was issued by this partition (its first 16 bits select
-- this partition, as ecliptix_route.id_hash and PL/Proxy compute it): a
-- device's row is on its home partition or nowhere.
create or replace function ecliptix_partition.is_home(p_unique_id uuid)
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select exists (
    select 1 from ecliptix_partition.identity i
     where ((get_byte(uuid_send(p_unique_id), 0) << 8) | get_byte(uuid_send(p_unique_id), 1)) & (i.partition_count - 1)
           = i.partition_index)
$$;

revoke all on function ecliptix_partition.app_device_row(uuid) from public;
revoke all on function ecliptix_partition.is_home(uuid) from public;

-- What the generated part (the _with_device functions and their grants) was
-- last deployed from, so that a deployment that would change nothing changes nothing.
create table if not exists ecliptix_partition.generated (
  singleton   boolean primary key default true check (singleton),
  digest      text not null,
  deployed_at timestamptz not null default pg_catalog.now()
);
