-- 02-app-devices.sql — devices, with their UniqueIds; a device merged into the
-- target's (--merge) is written soft-deleted.
insert into ecliptix.app_devices (unique_id, app_instance_id, device_id, device_type, created_at, updated_at, is_deleted)
select s.unique_id, s.app_instance_id, s.device_id, s.device_type,
       s.created_at at time zone 'UTC', s.updated_at at time zone 'UTC', s.is_deleted or d.merged
  from stage_app_devices s
  join import_devices d on d.old_uid = s.unique_id
 order by s.id
