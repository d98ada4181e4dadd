-- target-state.sql — whether the target already holds data (an import goes
-- into a freshly migrated database unless told to merge), and its members.
select (exists (select 1 from ecliptix.app_devices) or exists (select 1 from ecliptix.phone_numbers)
        or exists (select 1 from ecliptix.phone_number_devices) or exists (select 1 from ecliptix.verification_flows)
        or exists (select 1 from ecliptix.otp_records) or exists (select 1 from ecliptix.failed_otp_attempts)
        or exists (select 1 from ecliptix.memberships) or exists (select 1 from ecliptix.membership_attempts)
        or exists (select 1 from ecliptix.login_attempts)) as holds_data,
       (select count(*) from ecliptix.memberships where not is_deleted)::bigint as members
