/**
 * Bulk data, loaded with INSERT … SELECT generate_series straight into the
 * tables (seconds for a million rows, where the routines would take an
 * hour). Timestamps are explicit and the rows consistent by construction, so
 * the foreign-key triggers are skipped during the load
 * (session_replication_role = replica; the server user is a superuser).
 * VACUUM ANALYZE afterwards, so that the measurements see a settled database
 * (statistics, visibility map) and autovacuum does not start in the middle.
 */
import pg from 'pg';
import { BULK_PHONE_SQL } from './support.js';

/**
 * A time-ordered id for bulk row `i` (the layout of a UUIDv7: the row
 * number first, version 7, variant 8), distinct per `kind`. Random version 4
 * ids, as gen_random_uuid() makes, would scatter a million inserts over every
 * index on a uuid column, and the load would take many minutes on a
 * small shared_buffers instead of one; lookups cost the same either way.
 */
const uid = (kind: number, i: string) =>
  `(lpad(to_hex(${i}), 12, '0') || '7${kind.toString(16).padStart(3, '0')}8000' || substr(md5('${kind}:' || ${i}), 1, 12))::uuid`;

/**
 * `n` rows in each hot table — every table the journey's routines read or
 * write: phone_numbers, app_devices, phone_number_devices,
 * verification_flows, otp_records, memberships, membership_attempts,
 * login_attempts — and n/10 in failed_otp_attempts. One history per phone:
 * phone i (bulkPhone(i)) registered device i, went through flow i with OTP i,
 * holds membership i, and has one membership attempt and one login attempt;
 * 70 % of the flows verified, 20 % expired, 10 % failed (with a failed OTP
 * check). Spread evenly over the last 60 days, oldest first.
 */
export function hotTablesSql(n: number): string {
  const step = (60 * 86400) / n; // seconds between consecutive histories
  const at = (i: string) => `now() - make_interval(secs => (${n} - ${i}) * ${step})`;
  return `
SET session_replication_role = replica;

INSERT INTO ecliptix.phone_numbers (unique_id, phone_number, region, created_at, updated_at)
SELECT ${uid(1, 'i')}, ${BULK_PHONE_SQL('i')}, 'US', ${at('i')}, ${at('i')}
  FROM generate_series(0, ${n - 1}) AS i;

INSERT INTO ecliptix.app_devices (unique_id, app_instance_id, device_id, device_type, created_at, updated_at)
SELECT ${uid(2, 'i')}, ${uid(3, 'i')}, ${uid(4, 'i')}, 1, ${at('i')}, ${at('i')}
  FROM generate_series(0, ${n - 1}) AS i;

INSERT INTO ecliptix.phone_number_devices (phone_number_id, app_device_id, is_primary, created_at, updated_at)
SELECT p.unique_id, d.unique_id, true, p.created_at, p.created_at
  FROM ecliptix.phone_numbers p JOIN ecliptix.app_devices d ON d.id = p.id;

INSERT INTO ecliptix.verification_flows
  (unique_id, phone_number_id, app_device_id, status, purpose, expires_at, otp_count, connection_id, created_at, updated_at)
SELECT ${uid(5, 'p.id')}, p.id, d.unique_id,
       CASE WHEN p.id % 10 IN (7, 8) THEN 'expired' WHEN p.id % 10 = 9 THEN 'failed' ELSE 'verified' END,
       'registration',
       p.created_at + CASE WHEN p.id % 10 < 7 THEN interval '24 hours' ELSE interval '1 minute' END,
       1, 42, p.created_at, p.created_at
  FROM ecliptix.phone_numbers p JOIN ecliptix.app_devices d ON d.id = p.id;

INSERT INTO ecliptix.otp_records
  (unique_id, flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at)
SELECT ${uid(6, 'f.id')}, f.unique_id, f.phone_number_id, 'bulk$' || md5(f.id::text), md5(f.unique_id::text), f.created_at + interval '30 seconds',
       CASE f.status WHEN 'verified' THEN 'verified' WHEN 'failed' THEN 'failed' ELSE 'expired' END,
       false, f.created_at, f.created_at
  FROM ecliptix.verification_flows f;

INSERT INTO ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, phone_number_id, attempt_time, created_at, updated_at)
SELECT o.unique_id, o.flow_unique_id, o.phone_number_id, o.created_at + interval '10 seconds', o.created_at, o.created_at
  FROM ecliptix.otp_records o WHERE o.status = 'failed';

INSERT INTO ecliptix.memberships
  (unique_id, phone_number_id, app_device_id, verification_flow_id, secure_key, status, creation_status, created_at, updated_at)
SELECT ${uid(7, 'f.id')}, p.unique_id, f.app_device_id, f.unique_id, decode(md5(f.id::text) || md5(p.id::text), 'hex'),
       'active', 'secure_key_set', f.created_at, f.created_at
  FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id;

INSERT INTO ecliptix.membership_attempts (unique_id, phone_number_id, attempted_at, outcome, is_success, created_at, updated_at)
SELECT ${uid(8, 'p.id')}, p.unique_id, p.created_at, 'created', true, p.created_at, p.created_at
  FROM ecliptix.phone_numbers p;

INSERT INTO ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success, created_at, updated_at)
SELECT p.created_at + interval '1 minute', p.phone_number,
       CASE WHEN p.id % 4 = 0 THEN 'invalid_passphrase' ELSE 'success' END, p.id % 4 <> 0,
       p.created_at + interval '1 minute', p.created_at + interval '1 minute'
  FROM ecliptix.phone_numbers p;

RESET session_replication_role;
`;
}

/**
 * Rows that the clean-up must remove or soft-delete — `n` in all, a sixth
 * per retention rule, older than the retention periods (31–60 days; events
 * 91–120 days) — plus the rows they hang on (one phone and device per 100
 * flows, an OTP per flow) and, per rule, a tenth as many rows that stay
 * (recent ones, and failed login and membership attempts, which are kept).
 */
export function expiredRowsSql(n: number): string {
  const per = Math.floor(n / 6);
  const phones = Math.max(10, Math.floor(per / 100));
  const stay = Math.max(10, Math.floor(per / 10));
  // Old: spread over 31..60 days ago; recent: the last 10 days.
  const old = (i: string, count: number, baseDays = 31) =>
    `now() - interval '${baseDays} days' - make_interval(secs => (${i} % ${count}) * ${(29 * 86400) / Math.max(1, count)})`;
  const recent = (i: string) => `now() - make_interval(secs => (${i} % 864000))`;
  return `
SET session_replication_role = replica;

INSERT INTO ecliptix.phone_numbers (phone_number, region, created_at, updated_at)
SELECT ${BULK_PHONE_SQL('i')}, 'US', now() - interval '90 days', now() - interval '90 days'
  FROM generate_series(0, ${phones - 1}) AS i;

INSERT INTO ecliptix.app_devices (app_instance_id, device_id, created_at, updated_at)
SELECT gen_random_uuid(), gen_random_uuid(), now() - interval '90 days', now() - interval '90 days'
  FROM generate_series(0, ${phones - 1}) AS i;

-- verification_flows: expired/failed and old go; verified or recent stay.
INSERT INTO ecliptix.verification_flows (unique_id, phone_number_id, app_device_id, status, purpose, expires_at, otp_count, created_at, updated_at)
SELECT ${uid(15, 'i')}, 1 + i % ${phones}, (SELECT unique_id FROM ecliptix.app_devices WHERE id = 1 + i % ${phones}),
       CASE WHEN i % 4 = 0 THEN 'failed' ELSE 'expired' END, 'registration', c + interval '1 minute', 1, c, c
  FROM (SELECT i, ${old('i', per)} AS c FROM generate_series(0, ${per - 1}) AS i) s;
INSERT INTO ecliptix.verification_flows (unique_id, phone_number_id, app_device_id, status, purpose, expires_at, otp_count, created_at, updated_at)
SELECT ${uid(16, 'i')}, 1 + i % ${phones}, (SELECT unique_id FROM ecliptix.app_devices WHERE id = 1 + i % ${phones}),
       CASE WHEN i % 2 = 0 THEN 'verified' ELSE 'expired' END, 'registration', c + interval '1 minute', 1,
       CASE WHEN i % 2 = 0 THEN c - interval '60 days' ELSE ${recent('i')} END, c
  FROM (SELECT i, ${recent('i')} AS c FROM generate_series(0, ${stay - 1}) AS i) s;

-- otp_records: one per flow; the old flows' OTPs (expired/failed/verified) go, the others are recent and stay.
INSERT INTO ecliptix.otp_records (unique_id, flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at)
SELECT ${uid(17, 'f.id')}, f.unique_id, f.phone_number_id, 'bulk$' || md5(f.id::text), md5(f.unique_id::text), c + interval '30 seconds',
       CASE WHEN f.status = 'failed' THEN 'failed' WHEN f.id % 3 = 0 THEN 'verified' ELSE 'expired' END, false, c, c
  FROM ecliptix.verification_flows f
 CROSS JOIN LATERAL (SELECT CASE WHEN f.id <= ${per} THEN f.created_at ELSE ${recent('f.id')} END AS c) t;

-- failed_otp_attempts: the old ones go.
INSERT INTO ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, phone_number_id, attempt_time, created_at, updated_at)
SELECT o.unique_id, o.flow_unique_id, o.phone_number_id, c, c, c
  FROM (SELECT o.*, row_number() OVER (ORDER BY o.id) - 1 AS i FROM ecliptix.otp_records o) o
  CROSS JOIN LATERAL (SELECT CASE WHEN o.i < ${per} THEN ${old('o.i', per)} ELSE ${recent('o.i')} END AS c) t
 WHERE o.i < ${per + stay};

-- login_attempts: old successes go, except the newest success of each phone; failures stay.
INSERT INTO ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success, created_at, updated_at)
SELECT c, ${BULK_PHONE_SQL(`(i % ${phones})`)}, 'success', true, c, c
  FROM (SELECT i, ${old('i', per)} AS c FROM generate_series(0, ${per - 1}) AS i) s;
INSERT INTO ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success, created_at, updated_at)
SELECT c, ${BULK_PHONE_SQL(`(i % ${phones})`)}, CASE WHEN i % 2 = 0 THEN 'success' ELSE 'invalid_passphrase' END, i % 2 = 0, c, c
  FROM (SELECT i, ${recent('i')} AS c FROM generate_series(0, ${stay - 1}) AS i) s;

-- membership_attempts: old successes go; failures and recent ones stay.
INSERT INTO ecliptix.membership_attempts (unique_id, phone_number_id, attempted_at, outcome, is_success, created_at, updated_at)
SELECT ${uid(18, 'i')}, (SELECT unique_id FROM ecliptix.phone_numbers WHERE id = 1 + i % ${phones}), c, 'created', true, c, c
  FROM (SELECT i, ${old('i', per)} AS c FROM generate_series(0, ${per - 1}) AS i) s;
INSERT INTO ecliptix.membership_attempts (unique_id, phone_number_id, attempted_at, outcome, is_success, created_at, updated_at)
SELECT ${uid(19, 'i')}, (SELECT unique_id FROM ecliptix.phone_numbers WHERE id = 1 + i % ${phones}), c,
       CASE WHEN i % 2 = 0 THEN 'created' ELSE 'connection_mismatch' END, i % 2 = 0,
       CASE WHEN i % 2 = 0 THEN c ELSE c - interval '60 days' END, c
  FROM (SELECT i, ${recent('i')} AS c FROM generate_series(0, ${stay - 1}) AS i) s;

-- event_log: older than 90 days go.
INSERT INTO ecliptix.event_log (event_type, message, created_at)
SELECT 'bulk', 'event ' || i, ${old('i', n - 5 * per, 91)}
  FROM generate_series(0, ${n - 5 * per - 1}) AS i;
INSERT INTO ecliptix.event_log (event_type, message, created_at)
SELECT 'bulk', 'event ' || i, ${recent('i')}
  FROM generate_series(0, ${stay - 1}) AS i;

RESET session_replication_role;
`;
}

/**
 * Loads a bulk script. The secondary indexes of schema ecliptix (those that
 * back no constraint) are dropped first and built again afterwards, from
 * their own definitions: building an index over a million rows is much
 * faster than a million inserts into it. Then VACUUM ANALYZE, and a
 * checkpoint so that none lands in the measurements that follow.
 */
export async function loadBulk(url: string, script: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET maintenance_work_mem = '256MB'`);
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name, pg_get_indexdef(i.indexrelid) AS definition
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'ecliptix'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`,
    );
    for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
    await client.query(script);
    for (const index of indexes) await client.query(index.definition);
    await client.query('VACUUM ANALYZE');
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
}
