-- status: exact row counts (soft-deleted rows included, and counted apart) of
-- the tables named in $1 (text[]), in the manifest's order: counts holds
-- {rows, soft-deleted rows} (tables without soft delete: 0), or NULL for a
-- table not named, which is not scanned (the CASE evaluates its subquery only
-- when the table is named; with the parameter's value known, the planner
-- drops the other subqueries from the plan).
SELECT 'app_devices' AS table_name, CASE WHEN 'app_devices' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), count(*) FILTER (WHERE is_deleted)] FROM ecliptix.app_devices) END AS counts
UNION ALL
SELECT 'phone_numbers', CASE WHEN 'phone_numbers' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), count(*) FILTER (WHERE is_deleted)] FROM ecliptix.phone_numbers) END
UNION ALL
SELECT 'phone_number_devices', CASE WHEN 'phone_number_devices' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), count(*) FILTER (WHERE is_deleted)] FROM ecliptix.phone_number_devices) END
UNION ALL
SELECT 'verification_flows', CASE WHEN 'verification_flows' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), count(*) FILTER (WHERE is_deleted)] FROM ecliptix.verification_flows) END
UNION ALL
SELECT 'otp_records', CASE WHEN 'otp_records' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), count(*) FILTER (WHERE is_deleted)] FROM ecliptix.otp_records) END
UNION ALL
SELECT 'failed_otp_attempts', CASE WHEN 'failed_otp_attempts' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), count(*) FILTER (WHERE is_deleted)] FROM ecliptix.failed_otp_attempts) END
UNION ALL
SELECT 'memberships', CASE WHEN 'memberships' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), count(*) FILTER (WHERE is_deleted)] FROM ecliptix.memberships) END
UNION ALL
SELECT 'membership_attempts', CASE WHEN 'membership_attempts' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), count(*) FILTER (WHERE is_deleted)] FROM ecliptix.membership_attempts) END
UNION ALL
SELECT 'login_attempts', CASE WHEN 'login_attempts' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), 0] FROM ecliptix.login_attempts) END
UNION ALL
SELECT 'event_log', CASE WHEN 'event_log' = ANY ($1::text[]) THEN (SELECT ARRAY[count(*), 0] FROM ecliptix.event_log) END;
