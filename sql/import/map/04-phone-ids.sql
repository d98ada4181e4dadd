-- 04-phone-ids.sql — the new bigint id of the phone each staged phone became:
-- VerificationFlows and OtpRecords refer to phones by Id.
update import_phones m
   set to_id = p.id
  from ecliptix.phone_numbers p
 where p.unique_id = m.to_uid
