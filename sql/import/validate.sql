-- validate.sql — everything wrong with the staged input, before anything is
-- written: values the original does not allow or ecliptix cannot take (NULLs,
-- statuses and purposes, E.164 numbers, lengths, LOCKED_UNTIL times),
-- duplicate keys, references to rows that are not there, and (when importing
-- into a database that already holds data) unique ids it already has.
-- One row per problem kind and offending row, at most $1 rows per kind, each
-- with the kind's total: table and column by the original's names, the row
-- by its Id, and its line when it came from a file. Values are never shown.
with p (tbl, col, row_id, line, problem) as (
  -- NULLs, values and lengths, one pass per table.
  select 'AppDevices', v.col, s.id, s.source_line, v.problem
    from (select * from stage_app_devices
           where num_nulls(id, app_instance_id, device_id, device_type, created_at, updated_at, is_deleted, unique_id) > 0) s
   cross join lateral (values
     ('Id', s.id is null, 'is NULL'),
     ('AppInstanceId', s.app_instance_id is null, 'is NULL'),
     ('DeviceId', s.device_id is null, 'is NULL'),
     ('DeviceType', s.device_type is null, 'is NULL'),
     ('CreatedAt', s.created_at is null, 'is NULL'),
     ('UpdatedAt', s.updated_at is null, 'is NULL'),
     ('IsDeleted', s.is_deleted is null, 'is NULL'),
     ('UniqueId', s.unique_id is null, 'is NULL')) v (col, bad, problem)
   where v.bad
  union all
  select 'PhoneNumbers', v.col, s.id, s.source_line, v.problem
    from (select * from stage_phone_numbers
           where num_nulls(id, phone_number, created_at, updated_at, is_deleted, unique_id) > 0 or phone_number !~ '^\+[1-9][0-9]{6,14}$') s
   cross join lateral (values
     ('Id', s.id is null, 'is NULL'),
     ('PhoneNumber', s.phone_number is null, 'is NULL'),
     ('PhoneNumber', s.phone_number !~ '^\+[1-9][0-9]{6,14}$', 'is not an E.164 number (+, then 7 to 15 digits)'),
     ('CreatedAt', s.created_at is null, 'is NULL'),
     ('UpdatedAt', s.updated_at is null, 'is NULL'),
     ('IsDeleted', s.is_deleted is null, 'is NULL'),
     ('UniqueId', s.unique_id is null, 'is NULL')) v (col, bad, problem)
   where v.bad
  union all
  select 'PhoneNumberDevices', v.col, null::bigint, s.source_line, v.problem
    from (select * from stage_phone_number_devices
           where num_nulls(phone_number_id, app_device_id, is_primary, created_at, updated_at, is_deleted) > 0) s
   cross join lateral (values
     ('PhoneNumberId', s.phone_number_id is null, 'is NULL'),
     ('AppDeviceId', s.app_device_id is null, 'is NULL'),
     ('IsPrimary', s.is_primary is null, 'is NULL'),
     ('CreatedAt', s.created_at is null, 'is NULL'),
     ('UpdatedAt', s.updated_at is null, 'is NULL'),
     ('IsDeleted', s.is_deleted is null, 'is NULL')) v (col, bad, problem)
   where v.bad
  union all
  select 'VerificationFlows', v.col, s.id, s.source_line, v.problem
    from (select * from stage_verification_flows
           where num_nulls(id, phone_number_id, app_device_id, status, purpose, expires_at, otp_count, created_at, updated_at, is_deleted, unique_id) > 0
             or lower(btrim(status)) not in ('pending', 'verified', 'expired', 'failed') or otp_count < 0
             or lower(btrim(purpose)) not in ('unspecified', 'registration', 'login', 'password_recovery', 'update_phone')) s
   cross join lateral (values
     ('Id', s.id is null, 'is NULL'),
     ('PhoneNumberId', s.phone_number_id is null, 'is NULL'),
     ('AppDeviceId', s.app_device_id is null, 'is NULL'),
     ('Status', s.status is null, 'is NULL'),
     ('Status', lower(btrim(s.status)) not in ('pending', 'verified', 'expired', 'failed'), 'is not one of pending, verified, expired, failed'),
     ('Purpose', s.purpose is null, 'is NULL'),
     ('Purpose', lower(btrim(s.purpose)) not in ('unspecified', 'registration', 'login', 'password_recovery', 'update_phone'),
      'is not one of unspecified, registration, login, password_recovery, update_phone'),
     ('ExpiresAt', s.expires_at is null, 'is NULL'),
     ('OtpCount', s.otp_count is null, 'is NULL'),
     ('OtpCount', s.otp_count < 0, 'is negative'),
     ('CreatedAt', s.created_at is null, 'is NULL'),
     ('UpdatedAt', s.updated_at is null, 'is NULL'),
     ('IsDeleted', s.is_deleted is null, 'is NULL'),
     ('UniqueId', s.unique_id is null, 'is NULL')) v (col, bad, problem)
   where v.bad
  union all
  select 'OtpRecords', v.col, s.id, s.source_line, v.problem
    from (select * from stage_otp_records
           where num_nulls(id, flow_unique_id, phone_number_id, expires_at, status, is_active, created_at, updated_at, is_deleted, unique_id) > 0
             or lower(btrim(status)) not in ('pending', 'verified', 'expired', 'failed')) s
   cross join lateral (values
     ('Id', s.id is null, 'is NULL'),
     ('FlowUniqueId', s.flow_unique_id is null, 'is NULL'),
     ('PhoneNumberId', s.phone_number_id is null, 'is NULL'),
     ('ExpiresAt', s.expires_at is null, 'is NULL'),
     ('Status', s.status is null, 'is NULL'),
     ('Status', lower(btrim(s.status)) not in ('pending', 'verified', 'expired', 'failed'), 'is not one of pending, verified, expired, failed'),
     ('IsActive', s.is_active is null, 'is NULL'),
     ('CreatedAt', s.created_at is null, 'is NULL'),
     ('UpdatedAt', s.updated_at is null, 'is NULL'),
     ('IsDeleted', s.is_deleted is null, 'is NULL'),
     ('UniqueId', s.unique_id is null, 'is NULL')) v (col, bad, problem)
   where v.bad
  union all
  select 'FailedOtpAttempts', v.col, s.id, s.source_line, v.problem
    from (select * from stage_failed_otp_attempts
           where num_nulls(id, otp_unique_id, flow_unique_id, attempt_time, created_at, updated_at, is_deleted) > 0) s
   cross join lateral (values
     ('Id', s.id is null, 'is NULL'),
     ('OtpUniqueId', s.otp_unique_id is null, 'is NULL'),
     ('FlowUniqueId', s.flow_unique_id is null, 'is NULL'),
     ('AttemptTime', s.attempt_time is null, 'is NULL'),
     ('CreatedAt', s.created_at is null, 'is NULL'),
     ('UpdatedAt', s.updated_at is null, 'is NULL'),
     ('IsDeleted', s.is_deleted is null, 'is NULL')) v (col, bad, problem)
   where v.bad
  union all
  select 'Memberships', v.col, s.id, s.source_line, v.problem
    from (select * from stage_memberships
           where num_nulls(id, phone_number_id, app_device_id, verification_flow_id, status, created_at, updated_at, is_deleted, unique_id) > 0
             or lower(btrim(status)) not in ('active', 'inactive', 'blocked')
             or lower(btrim(creation_status)) not in ('otp_verified', 'secure_key_set', 'passphrase_set')) s
   cross join lateral (values
     ('Id', s.id is null, 'is NULL'),
     ('PhoneNumberId', s.phone_number_id is null, 'is NULL'),
     ('AppDeviceId', s.app_device_id is null, 'is NULL'),
     ('VerificationFlowId', s.verification_flow_id is null, 'is NULL'),
     ('Status', s.status is null, 'is NULL'),
     ('Status', lower(btrim(s.status)) not in ('active', 'inactive', 'blocked'), 'is not one of active, inactive, blocked'),
     ('CreationStatus', lower(btrim(s.creation_status)) not in ('otp_verified', 'secure_key_set', 'passphrase_set'),
      'is not NULL or one of otp_verified, secure_key_set, passphrase_set'),
     ('CreatedAt', s.created_at is null, 'is NULL'),
     ('UpdatedAt', s.updated_at is null, 'is NULL'),
     ('IsDeleted', s.is_deleted is null, 'is NULL'),
     ('UniqueId', s.unique_id is null, 'is NULL')) v (col, bad, problem)
   where v.bad
  union all
  select 'MembershipAttempts', v.col, s.id, s.source_line, v.problem
    from (select * from stage_membership_attempts
           where num_nulls(id, phone_number_id, attempted_at, outcome, is_success, created_at, updated_at, is_deleted) > 0 or length(outcome) > 255) s
   cross join lateral (values
     ('Id', s.id is null, 'is NULL'),
     ('PhoneNumberId', s.phone_number_id is null, 'is NULL'),
     ('Timestamp', s.attempted_at is null, 'is NULL'),
     ('Outcome', s.outcome is null, 'is NULL'),
     ('Outcome', length(s.outcome) > 255, 'is longer than 255 characters'),
     ('IsSuccess', s.is_success is null, 'is NULL'),
     ('CreatedAt', s.created_at is null, 'is NULL'),
     ('UpdatedAt', s.updated_at is null, 'is NULL'),
     ('IsDeleted', s.is_deleted is null, 'is NULL')) v (col, bad, problem)
   where v.bad
  union all
  select 'LoginAttempts', v.col, s.id, s.source_line, v.problem
    from (select * from stage_login_attempts
           where num_nulls(id, attempted_at, phone_number, outcome, is_success, created_at, updated_at) > 0 or length(outcome) > 255
             or (starts_with(outcome, 'LOCKED_UNTIL:') and pg_temp.import_locked_until(outcome) is null)) s
   cross join lateral (values
     ('Id', s.id is null, 'is NULL'),
     ('Timestamp', s.attempted_at is null, 'is NULL'),
     ('PhoneNumber', s.phone_number is null, 'is NULL'),
     ('Outcome', s.outcome is null, 'is NULL'),
     ('Outcome', length(s.outcome) > 255, 'is longer than 255 characters'),
     ('Outcome', starts_with(s.outcome, 'LOCKED_UNTIL:') and pg_temp.import_locked_until(s.outcome) is null,
      'is LOCKED_UNTIL: without a valid time (expected yyyy-mm-ddThh:mm:ss[.fffffff])'),
     ('IsSuccess', s.is_success is null, 'is NULL'),
     ('CreatedAt', s.created_at is null, 'is NULL'),
     ('UpdatedAt', s.updated_at is null, 'is NULL')) v (col, bad, problem)
   where v.bad
  union all
  select 'EventLog', v.col, s.id, s.source_line, v.problem
    from (select * from stage_event_log
           where num_nulls(id, event_type, message, created_at) > 0 or length(event_type) > 50) s
   cross join lateral (values
     ('Id', s.id is null, 'is NULL'),
     ('EventType', s.event_type is null, 'is NULL'),
     ('EventType', length(s.event_type) > 50, 'is longer than 50 characters'),
     ('Message', s.message is null, 'is NULL'),
     ('CreatedAt', s.created_at is null, 'is NULL')) v (col, bad, problem)
   where v.bad

  -- Duplicate keys (every row of a duplicated value is listed; found by hashing, not sorting).
  union all
  select 'AppDevices', 'Id', id, source_line, 'appears more than once'
    from stage_app_devices where id in (select id from stage_app_devices group by id having count(*) > 1)
  union all
  select 'AppDevices', 'UniqueId', id, source_line, 'appears more than once'
    from stage_app_devices where unique_id in (select unique_id from stage_app_devices group by unique_id having count(*) > 1)
  union all
  select 'PhoneNumbers', 'Id', id, source_line, 'appears more than once'
    from stage_phone_numbers where id in (select id from stage_phone_numbers group by id having count(*) > 1)
  union all
  select 'PhoneNumbers', 'UniqueId', id, source_line, 'appears more than once'
    from stage_phone_numbers where unique_id in (select unique_id from stage_phone_numbers group by unique_id having count(*) > 1)
  union all
  select 'VerificationFlows', 'Id', id, source_line, 'appears more than once'
    from stage_verification_flows where id in (select id from stage_verification_flows group by id having count(*) > 1)
  union all
  select 'VerificationFlows', 'UniqueId', id, source_line, 'appears more than once'
    from stage_verification_flows where unique_id in (select unique_id from stage_verification_flows group by unique_id having count(*) > 1)
  union all
  select 'OtpRecords', 'Id', id, source_line, 'appears more than once'
    from stage_otp_records where id in (select id from stage_otp_records group by id having count(*) > 1)
  union all
  select 'OtpRecords', 'UniqueId', id, source_line, 'appears more than once'
    from stage_otp_records where unique_id in (select unique_id from stage_otp_records group by unique_id having count(*) > 1)
  union all
  select 'FailedOtpAttempts', 'Id', id, source_line, 'appears more than once'
    from stage_failed_otp_attempts where id in (select id from stage_failed_otp_attempts group by id having count(*) > 1)
  union all
  select 'Memberships', 'Id', id, source_line, 'appears more than once'
    from stage_memberships where id in (select id from stage_memberships group by id having count(*) > 1)
  union all
  select 'Memberships', 'UniqueId', id, source_line, 'appears more than once'
    from stage_memberships where unique_id in (select unique_id from stage_memberships group by unique_id having count(*) > 1)
  union all
  select 'MembershipAttempts', 'Id', id, source_line, 'appears more than once'
    from stage_membership_attempts where id in (select id from stage_membership_attempts group by id having count(*) > 1)
  union all
  select 'LoginAttempts', 'Id', id, source_line, 'appears more than once'
    from stage_login_attempts where id in (select id from stage_login_attempts group by id having count(*) > 1)
  union all
  select 'EventLog', 'Id', id, source_line, 'appears more than once'
    from stage_event_log where id in (select id from stage_event_log group by id having count(*) > 1)
  union all
  select 'PhoneNumberDevices', 'PhoneNumberId, AppDeviceId', null, source_line, 'appears more than once'
    from stage_phone_number_devices
   where (phone_number_id, app_device_id) in (select phone_number_id, app_device_id from stage_phone_number_devices
                                               group by 1, 2 having count(*) > 1)
  union all
  select 'AppDevices', 'DeviceId', id, source_line, 'appears on more than one device that is not deleted'
    from stage_app_devices
   where not is_deleted and device_id in (select device_id from stage_app_devices where not is_deleted group by device_id having count(*) > 1)

  -- References to rows that are not in the input.
  union all
  select 'PhoneNumberDevices', 'PhoneNumberId', null, s.source_line, 'refers to a PhoneNumbers.UniqueId that is not there'
    from stage_phone_number_devices s where not exists (select 1 from stage_phone_numbers r where r.unique_id = s.phone_number_id)
  union all
  select 'PhoneNumberDevices', 'AppDeviceId', null, s.source_line, 'refers to an AppDevices.UniqueId that is not there'
    from stage_phone_number_devices s where not exists (select 1 from stage_app_devices r where r.unique_id = s.app_device_id)
  union all
  select 'VerificationFlows', 'PhoneNumberId', s.id, s.source_line, 'refers to a PhoneNumbers.Id that is not there'
    from stage_verification_flows s where not exists (select 1 from stage_phone_numbers r where r.id = s.phone_number_id)
  union all
  select 'VerificationFlows', 'AppDeviceId', s.id, s.source_line, 'refers to an AppDevices.UniqueId that is not there'
    from stage_verification_flows s where not exists (select 1 from stage_app_devices r where r.unique_id = s.app_device_id)
  union all
  select 'OtpRecords', 'FlowUniqueId', s.id, s.source_line, 'refers to a VerificationFlows.UniqueId that is not there'
    from stage_otp_records s where not exists (select 1 from stage_verification_flows r where r.unique_id = s.flow_unique_id)
  union all
  select 'OtpRecords', 'PhoneNumberId', s.id, s.source_line, 'refers to a PhoneNumbers.Id that is not there'
    from stage_otp_records s where not exists (select 1 from stage_phone_numbers r where r.id = s.phone_number_id)
  union all
  select 'FailedOtpAttempts', 'OtpUniqueId', s.id, s.source_line, 'refers to an OtpRecords.UniqueId that is not there'
    from stage_failed_otp_attempts s where not exists (select 1 from stage_otp_records r where r.unique_id = s.otp_unique_id)
  union all
  select 'FailedOtpAttempts', 'FlowUniqueId', s.id, s.source_line, 'refers to a VerificationFlows.UniqueId that is not there'
    from stage_failed_otp_attempts s where not exists (select 1 from stage_verification_flows r where r.unique_id = s.flow_unique_id)
  union all
  select 'Memberships', 'PhoneNumberId', s.id, s.source_line, 'refers to a PhoneNumbers.UniqueId that is not there'
    from stage_memberships s where not exists (select 1 from stage_phone_numbers r where r.unique_id = s.phone_number_id)
  union all
  select 'Memberships', 'AppDeviceId', s.id, s.source_line, 'refers to an AppDevices.UniqueId that is not there'
    from stage_memberships s where not exists (select 1 from stage_app_devices r where r.unique_id = s.app_device_id)
  union all
  select 'Memberships', 'VerificationFlowId', s.id, s.source_line, 'refers to a VerificationFlows.UniqueId that is not there'
    from stage_memberships s where not exists (select 1 from stage_verification_flows r where r.unique_id = s.verification_flow_id)
  union all
  select 'MembershipAttempts', 'PhoneNumberId', s.id, s.source_line, 'refers to a PhoneNumbers.UniqueId that is not there'
    from stage_membership_attempts s where not exists (select 1 from stage_phone_numbers r where r.unique_id = s.phone_number_id)

  -- Unique ids the target already has (a database that holds data, imported with --merge).
  union all
  select 'AppDevices', 'UniqueId', s.id, s.source_line, 'is already in ecliptix.app_devices (imported before?)'
    from stage_app_devices s where exists (select 1 from ecliptix.app_devices t where t.unique_id = s.unique_id)
  union all
  select 'PhoneNumbers', 'UniqueId', s.id, s.source_line, 'is already in ecliptix.phone_numbers (imported before?)'
    from stage_phone_numbers s where exists (select 1 from ecliptix.phone_numbers t where t.unique_id = s.unique_id)
  union all
  select 'VerificationFlows', 'UniqueId', s.id, s.source_line, 'is already in ecliptix.verification_flows (imported before?)'
    from stage_verification_flows s where exists (select 1 from ecliptix.verification_flows t where t.unique_id = s.unique_id)
  union all
  select 'OtpRecords', 'UniqueId', s.id, s.source_line, 'is already in ecliptix.otp_records (imported before?)'
    from stage_otp_records s where exists (select 1 from ecliptix.otp_records t where t.unique_id = s.unique_id)
  union all
  select 'Memberships', 'UniqueId', s.id, s.source_line, 'is already in ecliptix.memberships (imported before?)'
    from stage_memberships s where exists (select 1 from ecliptix.memberships t where t.unique_id = s.unique_id)
),
numbered as (
  select p.*,
         count(*) over (partition by tbl, col, problem) as total,
         row_number() over (partition by tbl, col, problem order by line nulls last, row_id nulls last) as n
    from p
)
select tbl as "table", col as "column", row_id as "row", line, problem, total
  from numbered
 where n <= $1
 order by array_position(array['AppDevices', 'PhoneNumbers', 'PhoneNumberDevices', 'VerificationFlows', 'OtpRecords',
                               'FailedOtpAttempts', 'Memberships', 'MembershipAttempts', 'LoginAttempts', 'EventLog'], tbl),
          line nulls last, row_id nulls last, col, problem
