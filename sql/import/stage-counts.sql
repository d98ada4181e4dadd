-- stage-counts.sql — rows staged per original table.
select 'AppDevices' as "table", count(*)::bigint as rows from stage_app_devices
union all select 'PhoneNumbers', count(*) from stage_phone_numbers
union all select 'PhoneNumberDevices', count(*) from stage_phone_number_devices
union all select 'VerificationFlows', count(*) from stage_verification_flows
union all select 'OtpRecords', count(*) from stage_otp_records
union all select 'FailedOtpAttempts', count(*) from stage_failed_otp_attempts
union all select 'Memberships', count(*) from stage_memberships
union all select 'MembershipAttempts', count(*) from stage_membership_attempts
union all select 'LoginAttempts', count(*) from stage_login_attempts
union all select 'EventLog', count(*) from stage_event_log
