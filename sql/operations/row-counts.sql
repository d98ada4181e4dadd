-- status: exact row counts of the 10 tables (soft-deleted rows included, and
-- counted apart), in the manifest's order.
SELECT 'app_devices' AS table_name, count(*) AS total, count(*) FILTER (WHERE is_deleted) AS soft_deleted FROM ecliptix.app_devices
UNION ALL
SELECT 'phone_numbers', count(*), count(*) FILTER (WHERE is_deleted) FROM ecliptix.phone_numbers
UNION ALL
SELECT 'phone_number_devices', count(*), count(*) FILTER (WHERE is_deleted) FROM ecliptix.phone_number_devices
UNION ALL
SELECT 'verification_flows', count(*), count(*) FILTER (WHERE is_deleted) FROM ecliptix.verification_flows
UNION ALL
SELECT 'otp_records', count(*), count(*) FILTER (WHERE is_deleted) FROM ecliptix.otp_records
UNION ALL
SELECT 'failed_otp_attempts', count(*), count(*) FILTER (WHERE is_deleted) FROM ecliptix.failed_otp_attempts
UNION ALL
SELECT 'memberships', count(*), count(*) FILTER (WHERE is_deleted) FROM ecliptix.memberships
UNION ALL
SELECT 'membership_attempts', count(*), count(*) FILTER (WHERE is_deleted) FROM ecliptix.membership_attempts
UNION ALL
SELECT 'login_attempts', count(*), 0 FROM ecliptix.login_attempts
UNION ALL
SELECT 'event_log', count(*), 0 FROM ecliptix.event_log;
