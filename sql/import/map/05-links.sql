-- 05-links.sql — the phone/device links to write (run as one script).
-- A link moves to the phone and device that stand for its own. The primary key
-- is (phone, device), so of the links that would land on one pair only the
-- first moves: the one that is already on it, else an active one, else the
-- oldest (with --merge: none, when the target has that pair). The others stay
-- on their old (soft-deleted) phone, soft-deleted themselves. Of a phone's
-- active links, only the oldest primary stays primary (unless the target's
-- phone already has a primary link).
create temporary table import_links on commit drop as
with l as (
  select s.*, p.to_uid as to_phone, d.to_uid as to_device, (p.merged or d.merged) as from_merged
    from stage_phone_number_devices s
    join import_phones p on p.old_uid = s.phone_number_id
    join import_devices d on d.old_uid = s.app_device_id
),
ranked as (
  select l.*,
         row_number() over (partition by l.to_phone, l.to_device
                            order by l.from_merged, l.is_deleted, l.created_at, l.phone_number_id) as rn,
         exists (select 1 from ecliptix.phone_number_devices t
                  where t.phone_number_id = l.to_phone and t.app_device_id = l.to_device) as taken
    from l
),
placed as (
  select r.*,
         case when r.rn = 1 and not r.taken then r.to_phone else r.phone_number_id end as w_phone,
         case when r.rn = 1 and not r.taken then r.to_device else r.app_device_id end as w_device,
         (r.is_deleted or r.rn > 1 or r.taken) as w_deleted
    from ranked r
)
select pl.*,
       coalesce(pl.is_primary and not pl.w_deleted
         and row_number() over (partition by pl.w_phone, (pl.is_primary and not pl.w_deleted) order by pl.created_at, pl.w_device) = 1
         and not exists (select 1 from ecliptix.phone_number_devices t
                          where t.phone_number_id = pl.w_phone and t.is_primary and not t.is_deleted), false) as w_primary
  from placed pl;
