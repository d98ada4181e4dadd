-- 16-counts.sql — what the mapping did, by kind, for the report (codes are
-- explained in src/operations/import/run.ts).
select 'device-merged' as code, count(*)::bigint as rows from import_devices where merged
union all select 'phone-merged', count(*) from import_phones where merged and not merged_into_target
union all select 'phone-merged-target', count(*) from import_phones where merged_into_target
union all select 'region-cleared', count(*) from stage_phone_numbers
           where region is not null and btrim(region) <> '' and not ecliptix_internal.is_known_region(upper(btrim(region)))
union all select 'region-filled', count(*) from stage_phone_numbers s
            join import_phones m on m.old_id = s.id
            join import_phone_regions r on r.to_uid = s.unique_id
           where not s.is_deleted and not m.merged and r.region is not null
             and not coalesce(ecliptix_internal.is_known_region(upper(btrim(s.region))), false)
union all select 'link-merged', count(*) from import_links where not is_deleted and w_deleted
union all select 'primary-cleared', count(*) from import_links where is_primary and not w_deleted and not w_primary
union all select 'flow-expired', count(*) from stage_verification_flows where lower(btrim(status)) = 'pending'
union all select 'otp-expired', count(*) from stage_otp_records where lower(btrim(status)) = 'pending'
union all select 'otp-hash-replaced', count(*) from stage_otp_records
union all select 'otp-deactivated', count(*) from stage_otp_records where is_active and lower(btrim(status)) <> 'pending'
union all select 'membership-merged', count(*) from import_memberships where merged
union all select 'key-encrypted', count(*) from import_keys
union all select 'key-empty', count(*) from import_memberships where empty_key
union all select 'lockout-typed', count(*) from stage_login_attempts
           where phone_number ~ '^\+[1-9][0-9]{6,14}$' and starts_with(outcome, 'LOCKED_UNTIL:')
union all select 'login-refused', count(*) from stage_login_attempts where phone_number !~ '^\+[1-9][0-9]{6,14}$'
union all select 'lockout-in-force', count(*) from stage_login_attempts
           where starts_with(outcome, 'LOCKED_UNTIL:') and phone_number ~ '^\+[1-9][0-9]{6,14}$'
             and pg_temp.import_locked_until(outcome) at time zone 'UTC' > ecliptix_internal.now()
