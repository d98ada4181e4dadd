-- R__register_app_device_if_not_exists.sql — procedure ecliptix.register_app_device_if_not_exists.
-- Original (SQL Server): dbo.RegisterAppDeviceIfNotExists.
-- Finds the active device with p_device_id or creates it. Returns one row
-- (outcome, app_device_id = the device's unique_id, the name every routine
-- takes it by, status): 'exists' / status 1, or 'created' / status 2.
-- Race-free: INSERT ... ON CONFLICT on the partial unique index of active
-- device_ids, so concurrent calls for one device_id create exactly one row.
-- An existing device keeps its app_instance_id and device_type.
-- Errors: 22004 when an argument is null.

-- The result column unique_id became app_device_id (the naming convention,
-- migrations/README.md):
-- CREATE OR REPLACE cannot change a result type, so a function with the old
-- result is dropped first, and only then.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.register_app_device_if_not_exists(uuid, uuid, int)')
                and pg_catalog.pg_get_function_result(oid) not like '%app_device_id%') then
    drop function ecliptix.register_app_device_if_not_exists(uuid, uuid, int);
  end if;
end
$$;

create or replace function ecliptix.register_app_device_if_not_exists(
  p_app_instance_id uuid,
  p_device_id       uuid,
  p_device_type     int default 1
)
returns table (outcome text, app_device_id uuid, status int)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_unique_id uuid;
begin
  perform ecliptix_internal.assert_not_null(p_app_instance_id, 'p_app_instance_id');
  perform ecliptix_internal.assert_not_null(p_device_id, 'p_device_id');
  perform ecliptix_internal.assert_not_null(p_device_type, 'p_device_type');

  -- Loop only for the rare case where the conflicting row disappears
  -- (soft-deleted) between the INSERT and the SELECT.
  for i in 1..3 loop
    insert into ecliptix.app_devices as d (app_instance_id, device_id, device_type)
    values (p_app_instance_id, p_device_id, p_device_type)
    on conflict (device_id) where not is_deleted do nothing
    returning d.unique_id into v_unique_id;

    if v_unique_id is not null then
      return query select 'created'::text, v_unique_id, 2;
      return;
    end if;

    select d.unique_id into v_unique_id
    from ecliptix.app_devices d
    where d.device_id = p_device_id and not d.is_deleted;

    if v_unique_id is not null then
      return query select 'exists'::text, v_unique_id, 1;
      return;
    end if;
  end loop;

  raise exception 'could not register app device %: concurrent changes', p_device_id
    using errcode = 'serialization_failure';
end;
$$;

revoke all on function ecliptix.register_app_device_if_not_exists(uuid, uuid, int) from public;
