-- 12-membership-attempts.sql — membership attempts, on the phone (UniqueId)
-- that stands for theirs, so the failed-attempt limit counts them.
insert into ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success, created_at, updated_at, is_deleted)
select p.to_uid, s.attempted_at at time zone 'UTC', s.outcome, s.is_success,
       s.created_at at time zone 'UTC', s.updated_at at time zone 'UTC', s.is_deleted
  from stage_membership_attempts s
  join import_phones p on p.old_uid = s.phone_number_id
 order by s.id
