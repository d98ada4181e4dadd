/**
 * Rows for the clean-up tests, each labelled with what the clean-up rules
 * must do to it: 'go' (expire, soft-delete or delete — some rows go through
 * two rules), 'stay' (keep untouched) or 'pre' (already soft-deleted, keep).
 * The label lives in a column the rules never look at (connection_id,
 * otp_hash, outcome, event_type, a limit guard's key, or the salt of the OTP a
 * failed attempt belongs to), so the tests check the rules against an
 * independent truth. Timestamps are explicit and relative to the database
 * clock b (limit guards: the server's clock), just over or under the limits:
 * the rows that stay near a limit sit one hour inside it (the clock tests
 * move the clock past that), the rows that go just outside it. Loaded with
 * INSERT … SELECT generate_series, foreign-key triggers skipped
 * (session_replication_role), so updated_at = created_at on every row loaded:
 * a row the clean-up changed shows it.
 *
 *   verification_flows (label: connection_id)
 *     1  expired/failed, created 30 days + i s ago        → verification-flows
 *     3  pending, created 40 days ago, long expired       → abandoned-flows, then verification-flows
 *     4  pending, expired 1 s ago, 10 minutes old         → abandoned-flows (its OTP: finished-flow-otps)
 *     0  verified 31 days old; expired/failed 29 days old  stay
 *     5  pending, expires in 1 hour                        stay (its OTP: 'expire' or 'live')
 *     2  soft-deleted expired; 6 soft-deleted pending      stay
 *   otp_records (label: otp_hash)
 *     go            expired/failed/verified, 30 days 1 s + i s old     → otp-records
 *     stale         pending, inactive, 31 days old (long expired)      → expired-otps, then otp-records
 *     expire        active pending of a label-5 flow, expired 1 s ago  → expired-otps
 *     orphan        active pending of a label-4 flow, expires in 1 hour → finished-flow-otps (after abandoned-flows)
 *     orphan-failed active 'failed' of a finished 29-day-old flow      → finished-flow-otps
 *     live          active pending of a label-5 flow, expires in 1 hour  stay
 *     stay, pre     (and the two anchor OTPs the failed attempts use)    stay
 *   login_attempts (label: outcome)
 *     go          successes 30 days + i s old (newer success of the phone exists) → login-attempts
 *     go-failed   failures 90 days + i s old, some of them ended lockouts         → failed-login-attempts
 *     stay        recent successes; the newest old success of each '+1777' phone; failures
 *                 45 days old and 1 hour inside 90 days; lockouts 91 days old that end
 *                 in an hour or 89 days ago (not before the cut-off)
 *   membership_attempts (label: outcome)
 *     go          successes 30 days + i s old                    → membership-attempts
 *     go-failed   failures 90 days + i s old, some soft-deleted  → failed-membership-attempts
 *     stay, pre   failures 31 days old and 1 hour inside 90 days; successes 29 days old; soft-deleted successes
 *   event_log (label: event_type)  go 90 days + i s old → event-log; stay 89 days old
 *   ecliptix_internal.limit_guards (label: key prefix)
 *     cleanup-go:    last taken 1 day + i s ago  → limit-guards
 *     cleanup-stay:  last taken 23 hours ago       stay
 *   ecliptix_internal.limit_hits (label: calling_code)
 *     +990  hours that ended 90 days + i hours ago  → limit-hits
 *     +991  hours 89 days ago and later            stay
 *   ecliptix_internal.limit_refusals (label: limit_name)
 *     cleanup-go    episodes that ended i s ago     → limit-refusals
 *     cleanup-stay  episodes that end in 2 hours    stay
 */
import type { Queryable } from '../../src/db/database.js';

/** The clean-up rules (RETENTION_RULES), by name. */
export const RULE_NAMES = [
  'abandoned-flows',
  'expired-otps',
  'finished-flow-otps',
  'verification-flows',
  'otp-records',
  'failed-otp-attempts',
  'login-attempts',
  'failed-login-attempts',
  'membership-attempts',
  'failed-membership-attempts',
  'event-log',
  'limit-guards',
  'limit-hits',
  'limit-refusals',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export const TABLES = [
  'verification_flows',
  'otp_records',
  'failed_otp_attempts',
  'login_attempts',
  'membership_attempts',
  'event_log',
  'limit_guards',
  'limit_hits',
  'limit_refusals',
] as const;
export type RetentionTable = (typeof TABLES)[number];

export interface RetentionDataSize {
  /** Rows per rule that only that rule must clean up (some rules get more: see expectedGo). */
  go: number;
  /** Per-rule numbers instead of `go`. */
  goPerRule?: Partial<Record<RuleName, number>>;
  /** Rows per kept group (several groups per table). */
  stay: number;
}

/** Phones whose only successful logins are old: the newest of each must stay. */
const oldOnlyPhones = (size: RetentionDataSize) => Math.min(100, Math.max(2, size.stay));
/** Lockouts 91 days old that end after the 90-day cut-off: in an hour, and 89 days ago. */
export const LOCKOUTS_KEPT = { running: 2, endedAfterCutoff: 2 } as const;

function goOf(size: RetentionDataSize, rule: RuleName): number {
  return size.goPerRule?.[rule] ?? size.go;
}

/** Rows each rule must change, as loaded (the clock not moved). */
export function expectedGo(size: RetentionDataSize): Record<RuleName, number> {
  const { stay } = size;
  return {
    'abandoned-flows': goOf(size, 'abandoned-flows') + goOf(size, 'finished-flow-otps'), // labels 3 and 4
    'expired-otps': goOf(size, 'expired-otps') + stay, // 'expire' and 'stale'
    'finished-flow-otps': goOf(size, 'finished-flow-otps') + stay, // 'orphan' and 'orphan-failed'
    'verification-flows': goOf(size, 'verification-flows') + goOf(size, 'abandoned-flows'), // labels 1 and 3
    'otp-records': goOf(size, 'otp-records') + stay, // 'go' and 'stale'
    'failed-otp-attempts': goOf(size, 'failed-otp-attempts'),
    'login-attempts': goOf(size, 'login-attempts') + 2 * oldOnlyPhones(size),
    'failed-login-attempts': goOf(size, 'failed-login-attempts'),
    'membership-attempts': goOf(size, 'membership-attempts'),
    'failed-membership-attempts': goOf(size, 'failed-membership-attempts'),
    'event-log': goOf(size, 'event-log'),
    'limit-guards': goOf(size, 'limit-guards'),
    'limit-hits': goOf(size, 'limit-hits'),
    'limit-refusals': goOf(size, 'limit-refusals'),
  };
}

function retentionDataSql(size: RetentionDataSize): string {
  const { stay } = size;
  const go = {
    flows: goOf(size, 'verification-flows'),
    abandoned: goOf(size, 'abandoned-flows'),
    orphans: goOf(size, 'finished-flow-otps'),
    expiring: goOf(size, 'expired-otps'),
    otps: goOf(size, 'otp-records'),
    failed: goOf(size, 'failed-otp-attempts'),
    logins: goOf(size, 'login-attempts'),
    failedLogins: goOf(size, 'failed-login-attempts'),
    attempts: goOf(size, 'membership-attempts'),
    failedAttempts: goOf(size, 'failed-membership-attempts'),
    events: goOf(size, 'event-log'),
    guards: goOf(size, 'limit-guards'),
    hits: goOf(size, 'limit-hits'),
    refusals: goOf(size, 'limit-refusals'),
  };
  const phones = Math.max(10, Math.min(1000, stay));
  const oldOnly = oldOnlyPhones(size);
  const pre = Math.max(1, Math.floor(stay / 10));
  // Pending flows: one per (device, phone, purpose) (the pending unique index), so the i-th of a group
  // uses phone 1 + i % phones and device 1 + i / phones: enough devices for the largest group.
  const live = go.expiring + stay;
  const devices = Math.max(phones, Math.ceil(Math.max(go.abandoned, go.orphans, live, pre) / phones));
  const pending = (count: number, label: number, purpose: string, createdAt: string, expiresAt: string, deleted = false) => `
INSERT INTO ecliptix.verification_flows (phone_number_id, app_device_id, status, purpose, expires_at, connection_id, created_at, updated_at, is_deleted)
SELECT p.id, d.unique_id, 'pending', '${purpose}', ${expiresAt}, ${label}, ${createdAt}, ${createdAt}, ${deleted}
  FROM (SELECT i, 1 + i % ${phones} AS kp, 1 + i / ${phones} AS kd FROM generate_series(0, ${count - 1}) i) g
  CROSS JOIN clock
  JOIN ecliptix.phone_numbers p ON p.id = g.kp
  JOIN ecliptix.app_devices d ON d.id = g.kd;`;
  return `
SET session_replication_role = replica;
CREATE TEMP TABLE clock AS SELECT ecliptix_internal.now() AS b;

INSERT INTO ecliptix.phone_numbers (phone_number, region, created_at, updated_at)
SELECT '+1555' || lpad(i::text, 7, '0'), 'US', b - interval '400 days', b - interval '400 days'
  FROM generate_series(1, ${phones}) i, clock;
INSERT INTO ecliptix.app_devices (app_instance_id, device_id, created_at, updated_at)
SELECT gen_random_uuid(), gen_random_uuid(), b - interval '400 days', b - interval '400 days'
  FROM generate_series(1, ${devices}) i, clock;

-- verification_flows: label in connection_id (1 go, 0 stay, 2 pre; pending: 3, 4 go, 5 stay, 6 pre)
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
-- abandoned long ago: expired by the clean-up, then soft-deleted (created more than 30 days ago)
${pending(go.abandoned, 3, 'login', "b - interval '40 days' - make_interval(secs => i)", "b - interval '40 days' - make_interval(secs => i) + interval '1 minute'")}
-- abandoned just now (expired a second before the load): expired, kept
${pending(go.orphans, 4, 'registration', "b - interval '10 minutes'", "b - interval '1 second'")}
-- live: expire in an hour
${pending(live, 5, 'password_recovery', "b - interval '2 minutes'", "b + interval '1 hour'")}
-- soft-deleted pending flows: left as they are
${pending(pre, 6, 'update_phone', "b - interval '40 days'", "b - interval '40 days' + interval '1 minute'", true)}

-- the flow and OTPs the failed attempts belong to (recent, so they stay)
CREATE TEMP TABLE anchor AS
SELECT f.unique_id AS flow, f.phone_number_id AS phone, gen_random_uuid() AS otp_go, gen_random_uuid() AS otp_stay
  FROM ecliptix.verification_flows f WHERE f.status = 'verified' ORDER BY f.id LIMIT 1;
INSERT INTO ecliptix.otp_records (unique_id, flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at)
SELECT v.u, a.flow, a.phone, 'stay', v.salt, b + interval '12 hours', 'pending', false, b, b
  FROM anchor a, clock, LATERAL (VALUES (a.otp_go, 'anchor-go'), (a.otp_stay, 'anchor-stay')) v(u, salt);

-- otp_records: label in otp_hash
INSERT INTO ecliptix.otp_records (flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at, is_deleted)
SELECT a.flow, a.phone, g.label, 'salt', g.created_at + interval '5 minutes', g.status, false, g.created_at, g.created_at, g.label = 'pre'
  FROM anchor a,
       (SELECT (ARRAY['verified', 'expired', 'failed'])[1 + i % 3] AS status, 'go' AS label, b - interval '30 days 1 second' - make_interval(secs => i) AS created_at
          FROM generate_series(1, ${go.otps}) i, clock
        UNION ALL
        SELECT 'pending', 'stale', b - interval '31 days' - make_interval(secs => i) FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT (ARRAY['verified', 'expired', 'failed'])[1 + i % 3], 'stay', b - interval '29 days 23 hours' + make_interval(secs => i % 80000) FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT 'expired', 'pre', b - interval '50 days' - make_interval(secs => i) FROM generate_series(1, ${pre}) i, clock) g;
-- the active OTP of each pending flow: of the live ones, the first expired a second ago ('expire'), the rest
-- expire in an hour ('live'); of the ones abandoned just now, it expires in an hour ('orphan')
INSERT INTO ecliptix.otp_records (flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at)
SELECT f.unique_id, f.phone_number_id, g.label, 'salt', g.expires_at, 'pending', true, g.created_at, g.created_at
  FROM (SELECT f.unique_id, f.phone_number_id, f.connection_id, row_number() OVER (PARTITION BY f.connection_id ORDER BY f.id) AS n
          FROM ecliptix.verification_flows f WHERE f.connection_id IN (4, 5)) f,
       clock,
       LATERAL (SELECT CASE WHEN f.connection_id = 4 THEN 'orphan' WHEN f.n <= ${go.expiring} THEN 'expire' ELSE 'live' END AS label,
                       CASE WHEN f.connection_id = 5 AND f.n <= ${go.expiring} THEN b - interval '1 second' ELSE b + interval '1 hour' END AS expires_at,
                       b - interval '1 minute' AS created_at) g;
-- an active OTP with a failed check, of each finished flow that stays (29 days old)
INSERT INTO ecliptix.otp_records (flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at)
SELECT f.unique_id, f.phone_number_id, 'orphan-failed', 'salt', f.created_at + interval '5 minutes', 'failed', true, f.created_at, f.created_at
  FROM ecliptix.verification_flows f WHERE f.connection_id = 0 AND f.status IN ('expired', 'failed');

-- failed_otp_attempts: label = which anchor OTP
INSERT INTO ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, attempt_time, created_at, updated_at)
SELECT a.otp_go, a.flow, b - interval '30 days' - make_interval(secs => i), b - interval '30 days', b - interval '30 days'
  FROM anchor a, generate_series(1, ${go.failed}) i, clock;
INSERT INTO ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, attempt_time, created_at, updated_at)
SELECT a.otp_stay, a.flow, b - interval '29 days' + make_interval(secs => i % 80000), b - interval '40 days', b - interval '40 days'
  FROM anchor a, generate_series(1, ${stay}) i, clock;

-- login_attempts: label in outcome
INSERT INTO ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success, locked_until, lockout_number, created_at, updated_at)
SELECT t, phone, label, success, locked_until, CASE WHEN locked_until IS NOT NULL THEN lockout END, t, t
  FROM (SELECT b - interval '30 days' - make_interval(secs => i) AS t, '+1666' || lpad((i % ${phones})::text, 7, '0') AS phone, 'go' AS label, true AS success,
               NULL::timestamptz AS locked_until, NULL::int AS lockout
          FROM generate_series(1, ${go.logins}) i, clock
        UNION ALL -- a recent success of each of those phones: they stay, and make the old ones removable
        SELECT b - interval '1 day', '+1666' || lpad(i::text, 7, '0'), 'stay', true, NULL, NULL FROM generate_series(0, ${phones - 1}) i, clock
        UNION ALL -- phones with only old successes: the newest of each stays
        SELECT b - interval '31 days' - make_interval(mins => i), '+1777' || lpad((i % ${oldOnly})::text, 7, '0'),
               CASE WHEN i <= ${oldOnly} THEN 'stay' ELSE 'go' END, true, NULL, NULL
          FROM generate_series(1, ${3 * oldOnly}) i, clock
        UNION ALL -- failures 45 days old stay
        SELECT b - interval '45 days' - make_interval(secs => i), '+1666' || lpad((i % ${phones})::text, 7, '0'), 'stay', false, NULL, NULL
          FROM generate_series(1, ${stay}) i, clock
        UNION ALL -- failures past failed_attempt_retention_days go, every fifth an ended lockout
        SELECT b - interval '90 days' - make_interval(secs => i), '+1888' || lpad((i % ${phones})::text, 7, '0'), 'go-failed', false,
               CASE WHEN i % 5 = 0 THEN b - interval '90 days' - make_interval(secs => i) + interval '1 second' END, 1
          FROM generate_series(1, ${go.failedLogins}) i, clock
        UNION ALL -- failures an hour inside it stay
        SELECT b - interval '90 days' + interval '1 hour', '+1888' || lpad((i % ${phones})::text, 7, '0'), 'stay', false, NULL, NULL
          FROM generate_series(1, ${stay}) i, clock
        UNION ALL -- lockouts 91 days old that end after the cut-off stay: one running for another hour, one that ended 89 days ago
        SELECT b - interval '91 days', '+1999' || lpad(i::text, 7, '0'), 'stay', false,
               CASE WHEN i <= ${LOCKOUTS_KEPT.running} THEN b + interval '1 hour' ELSE b - interval '89 days' END, 3
          FROM generate_series(1, ${LOCKOUTS_KEPT.running + LOCKOUTS_KEPT.endedAfterCutoff}) i, clock) g;

-- membership_attempts: label in outcome
INSERT INTO ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success, created_at, updated_at, is_deleted)
SELECT p.unique_id, g.t, g.label, g.success, g.t, g.t, g.deleted
  FROM ecliptix.phone_numbers p,
       (SELECT b - interval '30 days' - make_interval(secs => i) AS t, 'go' AS label, true AS success, false AS deleted FROM generate_series(1, ${go.attempts}) i, clock
        UNION ALL
        SELECT b - interval '31 days' - make_interval(secs => i), 'stay', false, false FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT b - interval '29 days' + make_interval(secs => i % 80000), 'stay', true, false FROM generate_series(1, ${stay}) i, clock
        UNION ALL
        SELECT b - interval '35 days' - make_interval(secs => i), 'pre', true, true FROM generate_series(1, ${pre}) i, clock
        UNION ALL -- failures past failed_attempt_retention_days go, soft-deleted or not
        SELECT b - interval '90 days' - make_interval(secs => i), 'go-failed', false, i % 3 = 0 FROM generate_series(1, ${go.failedAttempts}) i, clock
        UNION ALL
        SELECT b - interval '90 days' + interval '1 hour', 'stay', false, false FROM generate_series(1, ${stay}) i, clock) g
 WHERE p.id = 1;

-- event_log: label in event_type
INSERT INTO ecliptix.event_log (event_type, message, created_at)
SELECT 'go', 'old event', b - interval '90 days' - make_interval(secs => i) FROM generate_series(1, ${go.events}) i, clock
UNION ALL
SELECT 'stay', 'recent event', b - interval '89 days' + make_interval(secs => i % 80000) FROM generate_series(1, ${stay}) i, clock;

-- limit guards: label in the key; touched_at on the server's clock, as take_guard stamps it
INSERT INTO ecliptix_internal.limit_guards (key, version, touched_at)
SELECT 'cleanup-go:' || lpad(i::text, 8, '0'), 1, now() - interval '1 day' - make_interval(secs => i) FROM generate_series(1, ${go.guards}) i
UNION ALL
SELECT 'cleanup-stay:' || lpad(i::text, 8, '0'), 1, now() - interval '23 hours' FROM generate_series(1, ${stay}) i;

-- limit-hit counters: label in calling_code; the hour on the database clock, as the routines count it
INSERT INTO ecliptix_internal.limit_hits (hour, limit_name, calling_code, slot, hits)
SELECT date_trunc('hour', b - interval '90 days', 'UTC') - make_interval(hours => i + 1), 'flows_per_phone', '+990', i % 64, 1
  FROM generate_series(1, ${go.hits}) i, clock
UNION ALL
SELECT date_trunc('hour', b - interval '89 days', 'UTC') + make_interval(hours => i), 'flows_per_phone', '+991', i % 64, 1
  FROM generate_series(1, ${stay}) i, clock;

-- refusal episodes: label in limit_name; refused_until on the database clock
INSERT INTO ecliptix_internal.limit_refusals (limit_name, phone_unique_id, refused_until)
SELECT 'cleanup-go', gen_random_uuid(), b - make_interval(secs => i - 1) FROM generate_series(1, ${go.refusals}) i, clock
UNION ALL
SELECT 'cleanup-stay', gen_random_uuid(), b + interval '2 hours' FROM generate_series(1, ${stay}) i, clock;

DROP TABLE clock;
DROP TABLE anchor;
RESET session_replication_role;
`;
}

export async function loadRetentionData(db: Queryable, size: RetentionDataSize): Promise<void> {
  await db.exec(retentionDataSql(size));
}

export interface GoCounts {
  /** Rows labelled to go through this rule that it has done (expired, soft-deleted, or gone). */
  goDone: number;
  /** Those still waiting for it. */
  goLeft: number;
}

export interface KeptCounts {
  /** Rows labelled 'stay' or 'pre' present. */
  kept: number;
  /** Of those, rows the clean-up changed (updated_at moved, or a limit guard's version): must be 0. */
  keptTouched: number;
}

export interface LabelOutcome {
  rules: Record<RuleName, GoCounts>;
  tables: Record<RetentionTable, KeptCounts>;
}

/**
 * What happened to the labelled rows: per rule, its rows done and left; per
 * table, the rows that must stay and whether any was changed. `goLoaded` (the
 * go-row counts loaded, expectedGo) gives the done count of the deleting rules.
 */
export async function labelOutcome(db: Queryable, goLoaded: Record<RuleName, number>): Promise<LabelOutcome> {
  const { rows } = await db.query<{ k: string; done: number; left: number }>(`
    SELECT 'abandoned-flows' AS k,
           count(*) FILTER (WHERE status = 'expired')::int AS done,
           count(*) FILTER (WHERE status = 'pending')::int AS left
      FROM ecliptix.verification_flows WHERE connection_id IN (3, 4)
    UNION ALL
    SELECT 'verification-flows', count(*) FILTER (WHERE is_deleted)::int, count(*) FILTER (WHERE NOT is_deleted)::int
      FROM ecliptix.verification_flows WHERE connection_id IN (1, 3)
    UNION ALL
    SELECT 'expired-otps', count(*) FILTER (WHERE status = 'expired' AND NOT is_active)::int, count(*) FILTER (WHERE status = 'pending')::int
      FROM ecliptix.otp_records WHERE otp_hash IN ('stale', 'expire')
    UNION ALL
    SELECT 'finished-flow-otps', count(*) FILTER (WHERE status = 'expired' AND NOT is_active)::int, count(*) FILTER (WHERE is_active)::int
      FROM ecliptix.otp_records WHERE otp_hash IN ('orphan', 'orphan-failed')
    UNION ALL
    SELECT 'otp-records', count(*) FILTER (WHERE is_deleted)::int, count(*) FILTER (WHERE NOT is_deleted)::int
      FROM ecliptix.otp_records WHERE otp_hash IN ('go', 'stale')
    UNION ALL
    SELECT 'failed-otp-attempts', count(*) FILTER (WHERE f.is_deleted)::int, count(*) FILTER (WHERE NOT f.is_deleted)::int
      FROM ecliptix.failed_otp_attempts f JOIN ecliptix.otp_records o ON o.unique_id = f.otp_unique_id
     WHERE o.otp_salt = 'anchor-go'
    UNION ALL
    SELECT 'login-attempts', 0, count(*)::int FROM ecliptix.login_attempts WHERE outcome = 'go'
    UNION ALL
    SELECT 'failed-login-attempts', 0, count(*)::int FROM ecliptix.login_attempts WHERE outcome = 'go-failed'
    UNION ALL
    SELECT 'membership-attempts', count(*) FILTER (WHERE is_deleted)::int, count(*) FILTER (WHERE NOT is_deleted)::int
      FROM ecliptix.membership_attempts WHERE outcome = 'go'
    UNION ALL
    SELECT 'failed-membership-attempts', 0, count(*)::int FROM ecliptix.membership_attempts WHERE outcome = 'go-failed'
    UNION ALL
    SELECT 'event-log', 0, count(*)::int FROM ecliptix.event_log WHERE event_type = 'go'
    UNION ALL
    SELECT 'limit-guards', 0, count(*)::int FROM ecliptix_internal.limit_guards WHERE key LIKE 'cleanup-go:%'
    UNION ALL
    SELECT 'limit-hits', 0, count(*)::int FROM ecliptix_internal.limit_hits WHERE calling_code = '+990'
    UNION ALL
    SELECT 'limit-refusals', 0, count(*)::int FROM ecliptix_internal.limit_refusals WHERE limit_name = 'cleanup-go'
    UNION ALL
    SELECT 'verification_flows', count(*)::int, count(*) FILTER (WHERE updated_at <> created_at)::int
      FROM ecliptix.verification_flows WHERE connection_id IN (0, 2, 5, 6)
    UNION ALL
    SELECT 'otp_records', count(*)::int, count(*) FILTER (WHERE updated_at <> created_at)::int
      FROM ecliptix.otp_records WHERE otp_hash IN ('stay', 'pre', 'live')
    UNION ALL
    SELECT 'failed_otp_attempts', count(*)::int, count(*) FILTER (WHERE f.is_deleted OR f.updated_at <> f.created_at)::int
      FROM ecliptix.failed_otp_attempts f JOIN ecliptix.otp_records o ON o.unique_id = f.otp_unique_id
     WHERE o.otp_salt = 'anchor-stay'
    UNION ALL
    SELECT 'login_attempts', count(*)::int, count(*) FILTER (WHERE updated_at <> created_at)::int FROM ecliptix.login_attempts WHERE outcome = 'stay'
    UNION ALL
    SELECT 'membership_attempts', count(*)::int, count(*) FILTER (WHERE updated_at <> created_at)::int
      FROM ecliptix.membership_attempts WHERE outcome IN ('stay', 'pre')
    UNION ALL
    SELECT 'event_log', count(*)::int, 0 FROM ecliptix.event_log WHERE event_type = 'stay'
    UNION ALL
    SELECT 'limit_guards', count(*)::int, count(*) FILTER (WHERE version <> 1)::int FROM ecliptix_internal.limit_guards WHERE key LIKE 'cleanup-stay:%'
    UNION ALL
    SELECT 'limit_hits', count(*)::int, count(*) FILTER (WHERE hits <> 1)::int FROM ecliptix_internal.limit_hits WHERE calling_code = '+991'
    UNION ALL
    SELECT 'limit_refusals', count(*)::int, 0 FROM ecliptix_internal.limit_refusals WHERE limit_name = 'cleanup-stay'`);
  const byKey = new Map(rows.map((r) => [r.k, r]));
  const deleting = new Set<RuleName>([
    'login-attempts',
    'failed-login-attempts',
    'failed-membership-attempts',
    'event-log',
    'limit-guards',
    'limit-hits',
    'limit-refusals',
  ]);
  const rules = {} as Record<RuleName, GoCounts>;
  for (const rule of RULE_NAMES) {
    const row = byKey.get(rule)!;
    rules[rule] = { goDone: deleting.has(rule) ? goLoaded[rule] - row.left : row.done, goLeft: row.left };
  }
  const tables = {} as Record<RetentionTable, KeptCounts>;
  for (const table of TABLES) {
    const row = byKey.get(table)!;
    tables[table] = { kept: row.done, keptTouched: row.left };
  }
  return { rules, tables };
}

/** The limit guards, for comparing before and after (snapshotAllTables covers the ecliptix tables only). */
export async function snapshotLimitGuards(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ s: string }>(
    "SELECT count(*) || ':' || md5(coalesce(string_agg(g::text, '|' ORDER BY g.key), '')) AS s FROM ecliptix_internal.limit_guards g",
  );
  return rows[0]!.s;
}
