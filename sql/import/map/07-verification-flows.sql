-- 07-verification-flows.sql — flows, with their UniqueIds, on the phone (by its
-- new id) and device that stand for theirs. A pending flow cannot be finished
-- (its codes cannot be checked, see 08): it is written expired, its expiry no
-- later than now. Verified, expired and failed flows are history, kept as they were.
insert into ecliptix.verification_flows
  (unique_id, phone_number_id, app_device_id, status, purpose, expires_at, otp_count, connection_id, created_at, updated_at, is_deleted)
select s.unique_id, p.to_id, d.to_uid,
       case when lower(btrim(s.status)) = 'pending' then 'expired' else lower(btrim(s.status)) end,
       lower(btrim(s.purpose)),
       case when lower(btrim(s.status)) = 'pending' then least(s.expires_at at time zone 'UTC', ecliptix_internal.now())
            else s.expires_at at time zone 'UTC' end,
       s.otp_count, s.connection_id,
       s.created_at at time zone 'UTC', s.updated_at at time zone 'UTC', s.is_deleted
  from stage_verification_flows s
  join import_phones p on p.old_id = s.phone_number_id
  join import_devices d on d.old_uid = s.app_device_id
 order by s.id
