-- 01-identities.sql — which row stands for which (run as one script).
--
-- import_devices: each staged device and the device it becomes. With --merge,
-- a device whose DeviceId an active device of the target already has becomes
-- that device (written soft-deleted; references re-pointed).
--
-- import_phones: each staged phone and the phone that stands for its number.
-- One phone per E.164 number among active rows (V013): of a number's active
-- rows — one per region, and one with a NULL region — the oldest (lowest Id)
-- stays; the others are written soft-deleted and every reference to them is
-- re-pointed to it. With --merge, a number the target already has stays the
-- target's. Soft-deleted rows stand for themselves.
--
-- import_phone_regions: the region the kept row gets — the first known region
-- of its number's rows by Id (its own when it has one), as V013 does.
create temporary table import_devices on commit drop as
select s.unique_id as old_uid,
       coalesce(t.unique_id, s.unique_id) as to_uid,
       t.unique_id is not null as merged
  from stage_app_devices s
  left join ecliptix.app_devices t on not s.is_deleted and not t.is_deleted and t.device_id = s.device_id;
create unique index import_devices_old_uid on import_devices (old_uid);

create temporary table import_phones on commit drop as
with active as (
  select s.id, first_value(s.unique_id) over (partition by s.phone_number order by s.id) as first_uid
    from stage_phone_numbers s
   where not s.is_deleted
)
select s.id as old_id,
       s.unique_id as old_uid,
       coalesce(t.unique_id, a.first_uid, s.unique_id) as to_uid,
       coalesce(t.unique_id <> s.unique_id or a.first_uid <> s.unique_id, false) as merged,
       t.unique_id is not null as merged_into_target,
       null::bigint as to_id
  from stage_phone_numbers s
  left join active a on a.id = s.id
  left join ecliptix.phone_numbers t on not s.is_deleted and not t.is_deleted and t.phone_number = s.phone_number;
create unique index import_phones_old_id on import_phones (old_id);
create unique index import_phones_old_uid on import_phones (old_uid);

create temporary table import_phone_regions on commit drop as
select m.to_uid,
       (array_agg(upper(btrim(s.region)) order by s.id)
          filter (where ecliptix_internal.is_known_region(upper(btrim(s.region)))))[1] as region
  from stage_phone_numbers s
  join import_phones m on m.old_id = s.id
 where not s.is_deleted
 group by m.to_uid;
create unique index import_phone_regions_to_uid on import_phone_regions (to_uid);
analyze import_devices, import_phones, import_phone_regions;
