-- 08-otp-records.sql — codes, with their UniqueIds, as history only. The
-- original's OtpHash is an unkeyed SHA-256 of a 6-digit code: no code can be
-- checked against it here (ecliptix keeps HMACs under the OTP key), and anyone
-- who read it could recover the code with a million hashes. It is not carried:
-- hash and salt become a placeholder that no check can ever match (no key id
-- has it). Every code is inactive; a pending one is written expired.
insert into ecliptix.otp_records
  (unique_id, flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at, is_deleted)
select s.unique_id, s.flow_unique_id, p.to_id,
       'imported$unverifiable', 'imported',
       case when lower(btrim(s.status)) = 'pending' then least(s.expires_at at time zone 'UTC', ecliptix_internal.now())
            else s.expires_at at time zone 'UTC' end,
       case when lower(btrim(s.status)) = 'pending' then 'expired' else lower(btrim(s.status)) end,
       false,
       s.created_at at time zone 'UTC', s.updated_at at time zone 'UTC', s.is_deleted
  from stage_otp_records s
  join import_phones p on p.old_id = s.phone_number_id
 order by s.id
