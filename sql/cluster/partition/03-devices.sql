-- Partition support, part 3: device rows for the proxy.
--
-- A device lives on the partition of its device_id's hash (where
-- register_app_device_if_not_exists ran). A routine of a phone's partition that
-- takes an app device id needs the device's row there (foreign keys): the
-- proxy reads the row from the device's partition (app_device_row) and hands it
-- to the phone's partition, whose <routine>_with_device copies it
-- (copy_app_device, identical, ON CONFLICT DO NOTHING) and runs the routine, in
-- one transaction. The _with_device functions are generated from the catalog
-- (src/cluster/generate.ts).

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

-- Inserts a copy of a device row read from its own partition, unless a row
-- with that unique_id (or, active, that device_id) is here already. A row whose
-- unique_id is not p_app_device_id is ignored. Identity and generated columns
-- are left to this table; every other column is copied as it was.
create or replace function ecliptix_partition.copy_app_device(p_app_device_id uuid, p_device jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_columns text;
begin
  if p_device is null or p_app_device_id is null
     or (p_device ->> 'unique_id') is distinct from p_app_device_id::text then
    return;
  end if;
  if exists (select 1 from ecliptix.app_devices d where d.unique_id = p_app_device_id) then
    return;
  end if;
  select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into v_columns
    from pg_catalog.pg_attribute a
   where a.attrelid = 'ecliptix.app_devices'::regclass and a.attnum > 0 and not a.attisdropped
     and a.attidentity = '' and a.attgenerated = '';
  execute format('insert into ecliptix.app_devices (%1$s) select %1$s from jsonb_populate_record(null::ecliptix.app_devices, $1) on conflict do nothing',
                 v_columns)
    using p_device;
end;
$$;

revoke all on function ecliptix_partition.app_device_row(uuid) from public;
revoke all on function ecliptix_partition.copy_app_device(uuid, jsonb) from public;

-- What the generated part (the _with_device functions and their grants) was
-- last deployed from, so that a deployment that would change nothing changes nothing.
create table if not exists ecliptix_partition.generated (
  singleton   boolean primary key default true check (singleton),
  digest      text not null,
  deployed_at timestamptz not null default pg_catalog.now()
);
