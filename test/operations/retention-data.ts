/**
 * Rows for the clean-up tests, each labelled with what the retention rules
 * must do to it: 'go' (soft-delete or delete), 'stay' (keep untouched) or
 * 'pre' (already soft-deleted). The label lives in a column the rules never
 * look at (connection_id, otp_hash, outcome, event_type, or the salt of the
 * OTP a failed attempt belongs to), so the tests check the rules against an independent
 * truth. Timestamps are explicit and relative to the database clock, just
 * over or under the 30/90-day limits. Loaded with INSERT … SELECT
 * generate_series, foreign-key triggers skipped (session_replication_role).
 */
import type { Queryable } from '../../src/db/database.js';

export interface RetentionDataSize {
  /** Rows per table that the rules must clean up (login_attempts gets 2 × phones more). */
  go: number;
  /** Per-table numbers instead of `go`. */
  goPerTable?: Partial<Record<RetentionTable, number>>;
  /** Rows per kept group (several groups per table). */
  stay: number;
}

export const SOFT_DELETE_TABLES = ['verification_flows', 'otp_records', 'failed_otp_attempts', 'membership_attempts'] as const;
export const DELETE_TABLES = ['login_attempts', 'event_log'] as const;
export type RetentionTable = (typeof SOFT_DELETE_TABLES)[number] | (typeof DELETE_TABLES)[number];

/** Phones whose only successful logins are old: the newest of each must stay. */
const oldOnlyPhones = (size: RetentionDataSize) => Math.min(100, Math.max(2, size.stay));

function goOf(size: RetentionDataSize, table: RetentionTable): number {
  return size.goPerTable?.[table] ?? size.go;
}

export function expectedGo(size: RetentionDataSize): Record<RetentionTable, number> {
  return {
    verification_flows: goOf(size, 'verification_flows'),
    otp_records: goOf(size, 'otp_records'),
    failed_otp_attempts: goOf(size, 'failed_otp_attempts'),
    login_attempts: goOf(size, 'login_attempts') + 2 * oldOnlyPhones(size),
    membership_attempts: goOf(size, 'membership_attempts'),
    event_log: goOf(size, 'event_log'),
  };
}

export function retentionDataSql(size: RetentionDataSize): string {
  const { stay } = size;
  const go = {
    flows: goOf(size, 'verification_flows'),
    otps: goOf(size, 'otp_records'),
    failed: goOf(size, 'failed_otp_attempts'),
    logins: goOf(size, 'login_attempts'),
    attempts: goOf(size, 'membership_attempts'),
    events: goOf(size, 'event_log'),
  };
  const phones = Math.max(10, Math.min(1000, stay));
  const oldOnly = oldOnlyPhones(size);
  const pre = Math.max(1, Math.floor(stay / 10));
  return `
SET session_replication_role = replica;
CREATE TEMP TABLE clock AS SELECT ecliptix_internal.now() AS b;

INSERT INTO ecliptix.phone_numbers (phone_number, region, created_at, updated_at)
SELECT '+1555' || lpad(i::text, 7, '0'), 'US', b - interval '400 days', b - interval '400 days'
  FROM generate_series(1, ${phones}) i, clock;
INSERT INTO ecliptix.app_devices (app_instance_id, device_id, created_at, updated_at)
SELECT gen_random_uuid(), gen_random_uuid(), b - interval '400 days', b - interval '400 days'
  FROM generate_series(1, ${phones}) i, clock;

-- verification_flows: label in connection_id (1 go, 0 stay, 2 pre)
INSERT INTO ecliptix.verification_flows (phone_number_id, app_device_id, status, purpose, expires_at, connection_id, created_at, updated_at, is_deleted)
SELECT p.id, d.unique_id, g.status, 'registration', g.created_at + interval '1 minute', g.label, g.created_at, g.created_at, g.label = 2
  FROM (SELECT 1 + i % ${phones} AS k, CASE WHEN i % 2 = 0 THEN 'expired' ELSE 'failed' END AS status, 1 AS label,
               b - interval '30 days' - make_interval(secs => i) AS created_at FROM generate_series(1, ${go.flows}) i, clock
        UNION ALL
        SELECT 1 + i % ${phones}, 'verified', 0, b - interval '31 days' - make_interval(secs => i) FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT 1 + i % ${phones}, CASE WHEN i % 2 = 0 THEN 'expired' ELSE 'failed' END, 0, b - interval '29 days' + make_interval(secs => i % 80000) FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT 1 + i % ${phones}, 'expired', 2, b - interval '60 days' - make_interval(secs => i) FROM generate_series(1, ${pre}) i, clock) g
  JOIN ecliptix.phone_numbers p ON p.id = g.k
  JOIN ecliptix.app_devices d ON d.id = g.k;
-- old pending flows stay (one per device and phone: the pending unique index)
INSERT INTO ecliptix.verification_flows (phone_number_id, app_device_id, status, purpose, expires_at, connection_id, created_at, updated_at)
SELECT p.id, d.unique_id, 'pending', 'login', b - interval '40 days', 0, b - interval '40 days', b - interval '40 days'
  FROM ecliptix.phone_numbers p JOIN ecliptix.app_devices d ON d.id = p.id, clock;

-- the flow and OTPs the failed attempts belong to (recent, so they stay)
CREATE TEMP TABLE anchor AS
SELECT f.unique_id AS flow, f.phone_number_id AS phone, gen_random_uuid() AS otp_go, gen_random_uuid() AS otp_stay
  FROM ecliptix.verification_flows f WHERE f.status = 'verified' ORDER BY f.id LIMIT 1;
INSERT INTO ecliptix.otp_records (unique_id, flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at)
SELECT v.u, a.flow, a.phone, 'stay', v.salt, b + interval '5 minutes', 'pending', false, b, b
  FROM anchor a, clock, LATERAL (VALUES (a.otp_go, 'anchor-go'), (a.otp_stay, 'anchor-stay')) v(u, salt);

-- otp_records: label in otp_hash
INSERT INTO ecliptix.otp_records (flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at, is_deleted)
SELECT a.flow, a.phone, g.label, 'salt', g.created_at + interval '5 minutes', g.status, false, g.created_at, g.created_at, g.label = 'pre'
  FROM anchor a,
       (SELECT (ARRAY['verified', 'expired', 'failed'])[1 + i % 3] AS status, 'go' AS label, b - interval '30 days 1 second' - make_interval(secs => i) AS created_at
          FROM generate_series(1, ${go.otps}) i, clock
        UNION ALL
        SELECT 'pending', 'stay', b - interval '31 days' - make_interval(secs => i) FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT (ARRAY['verified', 'expired', 'failed'])[1 + i % 3], 'stay', b - interval '29 days 23 hours' + make_interval(secs => i % 80000) FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT 'expired', 'pre', b - interval '50 days' - make_interval(secs => i) FROM generate_series(1, ${pre}) i, clock) g;

-- failed_otp_attempts: label = which anchor OTP
INSERT INTO ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, attempt_time, created_at, updated_at)
SELECT a.otp_go, a.flow, b - interval '30 days' - make_interval(secs => i), b - interval '30 days', b - interval '30 days'
  FROM anchor a, generate_series(1, ${go.failed}) i, clock;
INSERT INTO ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, attempt_time, created_at, updated_at)
SELECT a.otp_stay, a.flow, b - interval '29 days' + make_interval(secs => i % 80000), b - interval '40 days', b - interval '40 days'
  FROM anchor a, generate_series(1, ${stay}) i, clock;

-- login_attempts: label in outcome
INSERT INTO ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success, created_at, updated_at)
SELECT t, phone, label, success, t, t
  FROM (SELECT b - interval '30 days' - make_interval(secs => i) AS t, '+1666' || lpad((i % ${phones})::text, 7, '0') AS phone, 'go' AS label, true AS success
          FROM generate_series(1, ${go.logins}) i, clock
        UNION ALL -- a recent success of each of those phones: they stay, and make the old ones removable
        SELECT b - interval '1 day', '+1666' || lpad(i::text, 7, '0'), 'stay', true FROM generate_series(0, ${phones - 1}) i, clock
        UNION ALL -- phones with only old successes: the newest of each stays
        SELECT b - interval '31 days' - make_interval(mins => i), '+1777' || lpad((i % ${oldOnly})::text, 7, '0'),
               CASE WHEN i <= ${oldOnly} THEN 'stay' ELSE 'go' END, true
          FROM generate_series(1, ${3 * oldOnly}) i, clock
        UNION ALL -- old failures stay (security analysis)
        SELECT b - interval '45 days' - make_interval(secs => i), '+1666' || lpad((i % ${phones})::text, 7, '0'), 'stay', false
          FROM generate_series(1, ${stay}) i, clock) g;

-- membership_attempts: label in outcome
INSERT INTO ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success, created_at, updated_at, is_deleted)
SELECT p.unique_id, g.t, g.label, g.success, g.t, g.t, g.label = 'pre'
  FROM ecliptix.phone_numbers p,
       (SELECT b - interval '30 days' - make_interval(secs => i) AS t, 'go' AS label, true AS success FROM generate_series(1, ${go.attempts}) i, clock
        UNION ALL
        SELECT b - interval '31 days' - make_interval(secs => i), 'stay', false FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT b - interval '29 days' + make_interval(secs => i % 80000), 'stay', true FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT b - interval '35 days' - make_interval(secs => i), 'pre', true FROM generate_series(1, ${pre}) i, clock) g
 WHERE p.id = 1;

-- event_log: label in event_type
INSERT INTO ecliptix.event_log (event_type, message, created_at)
SELECT 'go', 'old event', b - interval '90 days' - make_interval(secs => i) FROM generate_series(1, ${go.events}) i, clock
UNION ALL
SELECT 'stay', 'recent event', b - interval '89 days' + make_interval(secs => i % 80000) FROM generate_series(1, ${stay}) i, clock;

DROP TABLE clock;
DROP TABLE anchor;
RESET session_replication_role;
`;
}

export async function loadRetentionData(db: Queryable, size: RetentionDataSize): Promise<void> {
  await db.exec(retentionDataSql(size));
}

export interface LabelCounts {
  /** Rows labelled 'go' that are gone (deleted) or soft-deleted. */
  goDone: number;
  /** Rows labelled 'go' still there and active. */
  goLeft: number;
  /** Rows labelled 'stay' or 'pre' whose state changed (must be 0). */
  keptTouched: number;
  /** Rows labelled 'stay' or 'pre' present. */
  kept: number;
}

/** Per table: what happened to the labelled rows. `before` are the go-row counts loaded. */
export async function labelOutcome(db: Queryable, goLoaded: Record<RetentionTable, number>): Promise<Record<RetentionTable, LabelCounts>> {
  const { rows } = await db.query<{ t: RetentionTable; go_done: number; go_left: number; kept_touched: number; kept: number }>(`
    SELECT 'verification_flows' AS t,
           count(*) FILTER (WHERE connection_id = 1 AND is_deleted)::int AS go_done,
           count(*) FILTER (WHERE connection_id = 1 AND NOT is_deleted)::int AS go_left,
           count(*) FILTER (WHERE connection_id <> 1 AND is_deleted <> (connection_id = 2))::int AS kept_touched,
           count(*) FILTER (WHERE connection_id <> 1)::int AS kept
      FROM ecliptix.verification_flows
    UNION ALL
    SELECT 'otp_records',
           count(*) FILTER (WHERE otp_hash = 'go' AND is_deleted)::int,
           count(*) FILTER (WHERE otp_hash = 'go' AND NOT is_deleted)::int,
           count(*) FILTER (WHERE otp_hash <> 'go' AND is_deleted <> (otp_hash = 'pre'))::int,
           count(*) FILTER (WHERE otp_hash <> 'go')::int
      FROM ecliptix.otp_records
    UNION ALL
    SELECT 'failed_otp_attempts',
           count(*) FILTER (WHERE o.otp_salt = 'anchor-go' AND f.is_deleted)::int,
           count(*) FILTER (WHERE o.otp_salt = 'anchor-go' AND NOT f.is_deleted)::int,
           count(*) FILTER (WHERE o.otp_salt <> 'anchor-go' AND f.is_deleted)::int,
           count(*) FILTER (WHERE o.otp_salt <> 'anchor-go')::int
      FROM ecliptix.failed_otp_attempts f
      JOIN ecliptix.otp_records o ON o.unique_id = f.otp_unique_id
    UNION ALL
    SELECT 'login_attempts', 0, count(*) FILTER (WHERE outcome = 'go')::int, 0, count(*) FILTER (WHERE outcome <> 'go')::int
      FROM ecliptix.login_attempts
    UNION ALL
    SELECT 'membership_attempts',
           count(*) FILTER (WHERE outcome = 'go' AND is_deleted)::int,
           count(*) FILTER (WHERE outcome = 'go' AND NOT is_deleted)::int,
           count(*) FILTER (WHERE outcome <> 'go' AND is_deleted <> (outcome = 'pre'))::int,
           count(*) FILTER (WHERE outcome <> 'go')::int
      FROM ecliptix.membership_attempts
    UNION ALL
    SELECT 'event_log', 0, count(*) FILTER (WHERE event_type = 'go')::int, 0, count(*) FILTER (WHERE event_type <> 'go')::int
      FROM ecliptix.event_log`);
  const result = {} as Record<RetentionTable, LabelCounts>;
  for (const row of rows) {
    const deleted = row.t === 'login_attempts' || row.t === 'event_log';
    result[row.t] = {
      goDone: deleted ? goLoaded[row.t] - row.go_left : row.go_done,
      goLeft: row.go_left,
      keptTouched: row.kept_touched,
      kept: row.kept,
    };
  }
  return result;
}
