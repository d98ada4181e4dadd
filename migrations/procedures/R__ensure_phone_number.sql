-- R__ensure_phone_number.sql — procedure ecliptix.ensure_phone_number.
-- Original (SQL Server): dbo.EnsurePhoneNumber.
-- Finds the active phone p_phone_number or creates it: one row per E.164
-- number, whatever the region (V013). p_region describes the number (ISO
-- 3166-1 alpha-2, or '001' for a non-geographic number); it is stored when
-- the phone is created or has no region yet, and is never part of the key: a
-- different region for a known number is ignored, so the number keeps one
-- identity and one budget for every limit. When p_app_device_id is given,
-- links the device to the phone (re-activating a soft-deleted link; a link
-- becomes primary when the phone has no other active primary link, so the
-- first active link is primary). Returns one row (outcome, phone_unique_id,
-- success):
--   exists | created                  (no device given)
--   associated | created_and_associated (device linked, or already linked)
--   exists_but_app_device_not_found | created_but_app_device_not_found
--                                     (no active device with that unique_id;
--                                      success = false, the phone is kept, and
--                                      its unique_id is not returned: a
--                                      refusal discloses no identifier)
-- Race-free: INSERT ... ON CONFLICT on the unique index, and the phone's
-- limit guard is held while its links are changed.
-- Errors: 22004 null phone number; 22001 phone over 18 / region over 3
-- characters; 22023 phone not E.164, region not a known region code.

-- The result column unique_id became phone_unique_id (the naming convention,
-- migrations/README.md): CREATE OR REPLACE cannot change a result type, so a
-- function with the old result is dropped first, and only then.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.ensure_phone_number(varchar, varchar, uuid)')
                and pg_catalog.pg_get_function_result(oid) not like '%phone_unique_id%') then
    drop function ecliptix.ensure_phone_number(varchar, varchar, uuid);
  end if;
end
$$;

create or replace function ecliptix.ensure_phone_number(
  p_phone_number  varchar,
  p_region        varchar default null,
  p_app_device_id uuid default null
)
returns table (outcome text, phone_unique_id uuid, success boolean)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_phone_id      bigint;
  v_phone_uid     uuid;
  v_created       boolean := false;
  v_other_primary boolean;
begin
  perform ecliptix_internal.assert_phone_number(p_phone_number, 'p_phone_number');
  perform ecliptix_internal.assert_region(p_region, 'p_region');

  for i in 1..3 loop
    insert into ecliptix.phone_numbers as p (phone_number, region)
    values (p_phone_number, p_region)
    on conflict (phone_number) where not is_deleted do nothing
    returning p.id, p.unique_id into v_phone_id, v_phone_uid;

    if v_phone_id is not null then
      v_created := true;
      exit;
    end if;

    select p.id, p.unique_id into v_phone_id, v_phone_uid
    from ecliptix.phone_numbers p
    where p.phone_number = p_phone_number
      and not p.is_deleted;

    exit when v_phone_id is not null;
  end loop;

  if not v_created and p_region is not null then
    update ecliptix.phone_numbers p set region = p_region
     where p.id = v_phone_id and p.region is null;
  end if;

  if v_phone_id is null then
    raise exception 'could not ensure phone number %: concurrent changes', p_phone_number
      using errcode = 'serialization_failure';
  end if;

  if p_app_device_id is null then
    return query select case when v_created then 'created' else 'exists' end, v_phone_uid, true;
    return;
  end if;

  if not exists (select 1 from ecliptix.app_devices d
                 where d.unique_id = p_app_device_id and not d.is_deleted) then
    return query select case when v_created then 'created_but_app_device_not_found'
                             else 'exists_but_app_device_not_found' end,
                        null::uuid, false;
    return;
  end if;

  -- The phone's limit guard (V014) serialises the primary decision below with
  -- every other link of this phone, at every isolation level.
  perform ecliptix_internal.take_guard('phone:' || v_phone_id);

  select exists (
    select 1 from ecliptix.phone_number_devices l
    where l.phone_number_id = v_phone_uid
      and l.app_device_id <> p_app_device_id
      and l.is_primary and not l.is_deleted
  ) into v_other_primary;

  insert into ecliptix.phone_number_devices as l (phone_number_id, app_device_id, is_primary)
  values (v_phone_uid, p_app_device_id, not v_other_primary)
  on conflict (phone_number_id, app_device_id) do update
    set is_deleted = false,
        is_primary = excluded.is_primary
    where l.is_deleted;          -- an active link is left as it is

  return query select case when v_created then 'created_and_associated' else 'associated' end,
                      v_phone_uid, true;
end;
$$;

revoke all on function ecliptix.ensure_phone_number(varchar, varchar, uuid) from public;
