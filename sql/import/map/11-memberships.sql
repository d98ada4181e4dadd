-- 11-memberships.sql — memberships, with their UniqueIds, each secure key as
-- the import encrypted it (import_keys); none is written as the original held it.
insert into ecliptix.memberships
  (unique_id, phone_number_id, app_device_id, verification_flow_id, secure_key, status, creation_status, created_at, updated_at, is_deleted)
select m.unique_id, m.to_phone, m.to_device, m.verification_flow_id, k.secure_key, m.status, m.creation_status,
       m.created_at, m.updated_at, m.is_deleted or m.merged
  from import_memberships m
  left join import_keys k on k.id = m.id
 order by m.id
