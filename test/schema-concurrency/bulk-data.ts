/**
 * 100,000 rows in each ecliptix table (hot tables and the rest), loaded with
 * INSERT … SELECT generate_series straight into the tables, for the index
 * tests. The shape follows production: rows in the order they were written
 * (oldest first), spread over the last 35 days (event_log: 100 days); one
 * device, flow, OTP, failed check and membership per phone; most flows
 * finished, few OTPs active, most attempts successful.
 * Timestamps are given explicitly, so no column default runs per row, and
 * the rows are consistent by construction, so the foreign-key triggers are
 * skipped during the load (session_replication_role = replica, superuser).
 */
const BULK_ROWS = 100_000;

export function bulkLoadSql(rows = BULK_ROWS): string {
  return `
SET session_replication_role = replica;

INSERT INTO ecliptix.phone_numbers (phone_number, region, created_at, updated_at)
SELECT '+1555' || lpad(i::text, 7, '0'),
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'US' END,
       now() - make_interval(secs => (${rows} - i) * 30.0), now() - make_interval(secs => (${rows} - i) * 30.0)
  FROM generate_series(1, ${rows}) AS i;

INSERT INTO ecliptix.app_devices (app_instance_id, device_id, device_type, created_at, updated_at)
SELECT gen_random_uuid(), gen_random_uuid(), 1 + i % 3,
       now() - make_interval(secs => (${rows} - i) * 30.0), now() - make_interval(secs => (${rows} - i) * 30.0)
  FROM generate_series(1, ${rows}) AS i;

INSERT INTO ecliptix.phone_number_devices (phone_number_id, app_device_id, is_primary, created_at, updated_at)
SELECT p.unique_id, d.unique_id, true, p.created_at, p.created_at
  FROM ecliptix.phone_numbers p JOIN ecliptix.app_devices d ON d.id = p.id;

INSERT INTO ecliptix.verification_flows
  (phone_number_id, app_device_id, status, purpose, expires_at, otp_count, connection_id, created_at, updated_at)
SELECT p.id, d.unique_id,
       CASE WHEN p.id % 50 = 0 THEN 'pending' WHEN p.id % 10 IN (1, 2) THEN 'expired'
            WHEN p.id % 10 = 3 THEN 'failed' ELSE 'verified' END,
       CASE WHEN p.id % 4 = 0 THEN 'login' ELSE 'registration' END,
       p.created_at + CASE WHEN p.id % 10 >= 4 AND p.id % 50 <> 0 THEN interval '24 hours' ELSE interval '1 minute' END,
       1, p.id, p.created_at, p.created_at
  FROM ecliptix.phone_numbers p JOIN ecliptix.app_devices d ON d.id = p.id;

INSERT INTO ecliptix.otp_records
  (flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at)
SELECT f.unique_id, f.phone_number_id, md5(f.id::text), md5(f.unique_id::text), f.created_at + interval '5 minutes',
       CASE f.status WHEN 'verified' THEN 'verified' WHEN 'pending' THEN 'pending' WHEN 'failed' THEN 'failed' ELSE 'expired' END,
       f.status = 'pending', f.created_at, f.created_at
  FROM ecliptix.verification_flows f;

INSERT INTO ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, phone_number_id, attempt_time, created_at, updated_at)
SELECT o.unique_id, o.flow_unique_id, o.phone_number_id, o.created_at + interval '1 minute', o.created_at, o.created_at
  FROM ecliptix.otp_records o;

INSERT INTO ecliptix.memberships
  (phone_number_id, app_device_id, verification_flow_id, secure_key, status, creation_status, created_at, updated_at)
SELECT p.unique_id, f.app_device_id, f.unique_id, '\\x0102'::bytea,
       CASE WHEN p.id % 100 = 0 THEN 'blocked' ELSE 'active' END, 'secure_key_set', f.created_at, f.created_at
  FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id;

INSERT INTO ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success, created_at, updated_at)
SELECT p.unique_id, p.created_at, CASE WHEN p.id % 5 = 0 THEN 'connection_mismatch' ELSE 'created' END,
       p.id % 5 <> 0, p.created_at, p.created_at
  FROM ecliptix.phone_numbers p;

INSERT INTO ecliptix.login_attempts
  (attempted_at, phone_number, outcome, is_success, locked_until, lockout_number, created_at, updated_at)
SELECT p.created_at, p.phone_number,
       CASE WHEN p.id % 3 = 0 THEN 'secure_key_not_set' ELSE 'success' END,
       p.id % 3 <> 0,
       CASE WHEN p.id % 300 = 0 THEN p.created_at + interval '5 minutes' END,
       CASE WHEN p.id % 300 = 0 THEN 1 END,
       p.created_at, p.created_at
  FROM ecliptix.phone_numbers p;

INSERT INTO ecliptix.event_log (event_type, message, created_at)
SELECT 'bulk_' || (i % 7), 'event ' || i, now() - make_interval(secs => (${rows} - i) * 86.4)
  FROM generate_series(1, ${rows}) AS i;

RESET session_replication_role;

ANALYZE ecliptix.phone_numbers, ecliptix.app_devices, ecliptix.phone_number_devices, ecliptix.verification_flows,
        ecliptix.otp_records, ecliptix.failed_otp_attempts, ecliptix.memberships, ecliptix.membership_attempts,
        ecliptix.login_attempts, ecliptix.event_log;
`;
}
