-- 10-memberships-plan.sql — the memberships to write (run as one script).
-- Each moves to the phone and device that stand for its own. Only one
-- membership of a (phone, device) may be active: of those that land on one
-- pair, the one a sign-in can use stays — active with a secure key first,
-- then the oldest — and the others are written soft-deleted (with --merge,
-- all of them when the target has an active one there). An empty SecureKey
-- is no key. import_keys receives the keys encrypted by the import.
create temporary table import_memberships on commit drop as
with m as (
  select s.id, s.unique_id, p.to_uid as to_phone, d.to_uid as to_device, s.verification_flow_id,
         case when length(s.secure_key) > 0 then s.secure_key end as secure_key,
         s.secure_key is not null and length(s.secure_key) = 0 as empty_key,
         lower(btrim(s.status)) as status, lower(btrim(s.creation_status)) as creation_status,
         s.created_at at time zone 'UTC' as created_at, s.updated_at at time zone 'UTC' as updated_at, s.is_deleted
    from stage_memberships s
    join import_phones p on p.old_uid = s.phone_number_id
    join import_devices d on d.old_uid = s.app_device_id
)
select m.*,
       not m.is_deleted and (
         row_number() over (partition by m.to_phone, m.to_device, m.is_deleted
                            order by (m.status = 'active' and m.secure_key is not null) desc, m.created_at, m.id) > 1
         or exists (select 1 from ecliptix.memberships t
                     where t.phone_number_id = m.to_phone and t.app_device_id = m.to_device and not t.is_deleted)) as merged
  from m;
create unique index import_memberships_id on import_memberships (id);
create temporary table import_keys (id bigint primary key, secure_key bytea not null) on commit drop;
