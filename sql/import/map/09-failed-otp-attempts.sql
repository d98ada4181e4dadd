-- 09-failed-otp-attempts.sql — failed checks, each on the phone of its flow (by
-- its new id), so the number's OTP guessing budget counts them (V014).
insert into ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, phone_number_id, attempt_time, created_at, updated_at, is_deleted)
select s.otp_unique_id, s.flow_unique_id, p.to_id,
       s.attempt_time at time zone 'UTC', s.created_at at time zone 'UTC', s.updated_at at time zone 'UTC', s.is_deleted
  from stage_failed_otp_attempts s
  join stage_verification_flows f on f.unique_id = s.flow_unique_id
  join import_phones p on p.old_id = f.phone_number_id
 order by s.id
