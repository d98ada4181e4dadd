-- analyze-stage.sql — statistics for the staging tables (autovacuum never
-- analyzes temporary tables), so validation and mapping get hash joins.
analyze stage_app_devices, stage_phone_numbers, stage_phone_number_devices, stage_verification_flows,
        stage_otp_records, stage_failed_otp_attempts, stage_memberships, stage_membership_attempts,
        stage_login_attempts, stage_event_log
