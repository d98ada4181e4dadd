/**
 * Daily monitoring as Prometheus metrics: the database's activity (flows,
 * codes, sign-ins, lockouts) over the last hour and day, the phones locked
 * now, the migration state, and the server figures postgres_exporter also
 * exports, named as it names them. Read-only; every figure comes from one
 * statement or from what `status` already reads.
 */
import type { Database } from '../db/database.js';
import { messageOf } from '../errors.js';
import { compareVersions } from '../migrator/files.js';
import { Migrator } from '../migrator/migrator.js';
import type { MigrationState } from '../migrator/plan.js';
import { inspectObjects } from '../schema/objects.js';
import { TABLE_NAMES } from '../schema/manifest.js';
import { sqlFile } from '../sql-files.js';
import { readActivity, summariseData, type Activity } from './data-summary.js';
import { previousSnapshot } from './health-snapshots.js';

/** One sample: a metric's name, its help text, its labels and its value. */
export interface MetricSample {
  name: string;
  help: string;
  labels: Record<string, string>;
  value: number;
}

/** The activity windows every activity metric is given for, as PostgreSQL intervals and as the `window` label. */
const ACTIVITY_WINDOWS = [
  { interval: '1 hour', label: '1h' },
  { interval: '24 hours', label: '24h' },
] as const;

const MIGRATION_STATES: readonly MigrationState[] = [
  'applied',
  'baselined',
  'pending',
  'outdated',
  'checksum_mismatch',
  'failed',
  'out_of_order',
  'missing',
];

const HELP = {
  pg_up: 'Whether the last scrape could connect to the database (1) or not (0).',
  ecliptix_scrape_duration_seconds: 'How long collecting these metrics took.',
  pg_database_size_bytes: 'Disk space used by the database.',
  pg_settings_max_connections: 'The server setting max_connections.',
  pg_stat_activity_count: "The database's sessions by state (pg_stat_activity).",
  ecliptix_schema_up_to_date: 'Whether no migration is pending and none is in a state migrate refuses (1) or not (0).',
  ecliptix_schema_migrations: 'Migrations by state (status --json: migrations[].state).',
  ecliptix_schema_version_info: 'The highest applied versioned migration, as a label.',
  ecliptix_schema_objects: "The EcliptixMemberships objects (the seed's 36 and those beside them) present or missing.",
  ecliptix_schema_complete:
    'Whether every object is present and enabled and nothing unexpected is in schema ecliptix (1) or not (0), as status reports it.',
  ecliptix_table_rows: "Rows per table: counted, or for a table of 100,000 rows or more the planner's estimate (as status reports them).",
  ecliptix_verification_flows_started: 'Verification flows started in the window.',
  ecliptix_verification_flows_verified: 'Verification flows started in the window and verified.',
  ecliptix_otp_codes_issued: 'One-time codes issued in the window.',
  ecliptix_otp_checks_failed: 'Failed code checks in the window.',
  ecliptix_memberships_created: 'Memberships created in the window.',
  ecliptix_sign_ins:
    'Sign-in attempts in the window, by result: success (confirmed by the application), key_released (not yet confirmed), failure (those that started a lockout included).',
  ecliptix_lockouts_started: 'Sign-in lockouts started in the window.',
  ecliptix_locked_phone_numbers: 'Phone numbers whose sign-in is locked now.',
  ecliptix_limit_hits:
    'Calls a limit refused, per limit: in the current UTC clock hour (period="this_hour", from 0 again at each full hour) or the last 24 clock hours, the current one included (period="last_24_hours"). Counted by the routines per clock hour, so not a sliding window.',
  ecliptix_scrape_error: 'A section of the scrape that failed after the database was reached (its figures are missing from this scrape).',
  ecliptix_health_check_level: 'The level of each check at the last health run: 0 OK, 1 WARN, 2 CRIT (skipped checks are left out).',
  ecliptix_health_last_run_timestamp_seconds: 'When the last health run kept its snapshot (Unix time).',
} as const;

/** The limits the routines count refusals of (ecliptix_internal.limit_hits.limit_name, V020): each has a series, 0 when none. */
export const LIMIT_NAMES = [
  'flows_per_phone',
  'otps_per_flow',
  'otp_resend_cooldown',
  'failed_otp_checks_per_flow',
  'failed_otp_checks_per_phone',
  'consecutive_failed_otp_checks',
  'membership_attempts',
  'failed_logins',
  'login_lockout',
  'key_releases',
] as const;

const LEVELS = { OK: 0, WARN: 1, CRIT: 2 } as const;

/** SQLSTATEs that mean "not here for this role or schema": no such table (an older schema), no privilege. */
const NOT_AVAILABLE = new Set(['42P01', '42501']);

/** Refusals per limit, in the current hour and the last 24; none when the table is missing or this role may not read it. */
async function limitHitSamples(db: Database): Promise<MetricSample[]> {
  let rows: { limit_name: string; hits_1h: Count | null; hits_24h: Count | null }[];
  try {
    rows = (
      await db.query<{ limit_name: string; hits_1h: Count | null; hits_24h: Count | null }>(sqlFile('operations/metrics/limit-hits.sql'))
    ).rows;
  } catch (error) {
    if (NOT_AVAILABLE.has(String((error as { code?: unknown }).code))) return [];
    throw error;
  }
  const byLimit = new Map(rows.map((r) => [r.limit_name, r]));
  return LIMIT_NAMES.flatMap((limit) => [
    sample('ecliptix_limit_hits', Number(byLimit.get(limit)?.hits_1h ?? 0), { period: 'this_hour', limit }),
    sample('ecliptix_limit_hits', Number(byLimit.get(limit)?.hits_24h ?? 0), { period: 'last_24_hours', limit }),
  ]);
}

/** Each check's level at the last `health` run (its snapshot), and when that was; none without a snapshot. */
async function healthSamples(db: Database): Promise<MetricSample[]> {
  const snapshot = await previousSnapshot(db);
  if (!snapshot) return [];
  const samples = [sample('ecliptix_health_last_run_timestamp_seconds', Math.floor(snapshot.takenAt.getTime() / 1000))];
  for (const [check, result] of Object.entries(snapshot.summary.checks))
    if (result && result.level !== 'SKIPPED') samples.push(sample('ecliptix_health_check_level', LEVELS[result.level], { check }));
  return samples;
}

type MetricName = keyof typeof HELP;
type Count = number | string;

function sample(name: MetricName, value: number, labels: Record<string, string> = {}): MetricSample {
  return { name, help: HELP[name], labels, value };
}

/** The samples of a scrape that could not connect: pg_up 0, and how long it took to find out. */
export function unreachableSamples(durationMs: number): MetricSample[] {
  return [sample('pg_up', 0), sample('ecliptix_scrape_duration_seconds', durationMs / 1000)];
}

interface ServerRow {
  datname: string;
  database_size_bytes: number | string;
  max_connections: number;
  sessions_by_state: Record<string, number | string>;
}

/** The figures of the server and of the connected database, named as postgres_exporter names them. */
async function serverSamples(db: Database): Promise<MetricSample[]> {
  const row = (await db.query<ServerRow>(sqlFile('operations/metrics/server.sql'))).rows[0]!;
  return [
    sample('pg_database_size_bytes', Number(row.database_size_bytes), { datname: row.datname }),
    sample('pg_settings_max_connections', row.max_connections),
    ...Object.entries(row.sessions_by_state).map(([state, n]) =>
      sample('pg_stat_activity_count', Number(n), { datname: row.datname, state }),
    ),
  ];
}

/** The migration state of the database against `migrationsDir`. */
async function schemaSamples(db: Database, options: { migrationsDir: string; lockTimeoutMs: number }): Promise<MetricSample[]> {
  const plan = await new Migrator({ db, migrationsDir: options.migrationsDir, lockTimeoutMs: options.lockTimeoutMs }).status();
  const byState = new Map<MigrationState, number>(MIGRATION_STATES.map((state) => [state, 0]));
  for (const status of plan.statuses) byState.set(status.state, (byState.get(status.state) ?? 0) + 1);
  const versions = plan.statuses
    .filter((s) => s.version !== null && (s.state === 'applied' || s.state === 'baselined'))
    .map((s) => s.version!)
    .sort(compareVersions);
  return [
    sample('ecliptix_schema_up_to_date', plan.pending.length === 0 && plan.problems.length === 0 ? 1 : 0),
    ...[...byState].map(([state, n]) => sample('ecliptix_schema_migrations', n, { state })),
    ...(versions.length > 0 ? [sample('ecliptix_schema_version_info', 1, { version: versions.at(-1)! })] : []),
  ];
}

function activitySamples(activity: Activity, window: string): MetricSample[] {
  return [
    sample('ecliptix_verification_flows_started', activity.flowsCreated, { window }),
    sample('ecliptix_verification_flows_verified', activity.flowsVerified, { window }),
    sample('ecliptix_otp_codes_issued', activity.otpsGenerated, { window }),
    sample('ecliptix_otp_checks_failed', activity.failedOtpChecks, { window }),
    sample('ecliptix_memberships_created', activity.membershipsCreated, { window }),
    sample('ecliptix_sign_ins', activity.successfulLogins, { window, result: 'success' }),
    sample('ecliptix_sign_ins', activity.keyReleases, { window, result: 'key_released' }),
    sample('ecliptix_sign_ins', activity.failedLogins, { window, result: 'failure' }),
    sample('ecliptix_lockouts_started', activity.lockouts, { window }),
  ];
}

/** The EcliptixMemberships figures: objects, rows per table, activity per window, phones locked now (the shipped schema only). */
async function membershipSamples(db: Database): Promise<MetricSample[]> {
  const objects = await inspectObjects(db);
  const all = [...objects.objects, ...objects.added];
  const present = all.filter((o) => o.present).length;
  const samples = [
    sample('ecliptix_schema_objects', present, { state: 'present' }),
    sample('ecliptix_schema_objects', all.length - present, { state: 'missing' }),
    sample('ecliptix_schema_complete', objects.complete ? 1 : 0),
  ];
  const tablesDeployed = objects.objects.filter((o) => o.kind === 'table' && o.present).length === TABLE_NAMES.length;
  if (!tablesDeployed) return samples;
  const data = await summariseData(db);
  for (const table of data.tables) samples.push(sample('ecliptix_table_rows', table.rows, { table: table.table }));
  for (const window of ACTIVITY_WINDOWS) {
    const activity = window.interval === '24 hours' ? data.activity : await readActivity(db, window.interval);
    samples.push(...activitySamples(activity, window.label));
  }
  const locked = (await db.query<{ locked_phone_numbers: number | string }>(sqlFile('operations/metrics/locked-phones.sql'))).rows[0]!;
  samples.push(sample('ecliptix_locked_phone_numbers', Number(locked.locked_phone_numbers)));
  samples.push(...(await limitHitSamples(db)), ...(await healthSamples(db)));
  return samples;
}

/** What one database gave: its samples, and the sections that failed after it was reached (each also an `ecliptix_scrape_error` sample). */
export interface CollectedMetrics {
  samples: MetricSample[];
  errors: { section: string; error: string }[];
}

/**
 * Every sample of one open database: pg_up 1 (it was reached), the server's
 * figures, the migration state and, for the shipped schema (`shipped`), the
 * memberships' figures. A cluster's proxy (`proxy`) holds no rows: only the
 * server's figures and pg_up. A section that fails (a privilege, a
 * timeout) is left out and reported as `ecliptix_scrape_error{section} 1`;
 * the others are still collected — pg_up stays 1, since the database was
 * reached (postgres_exporter's meaning).
 */
export async function collectMetrics(
  db: Database,
  options: { migrationsDir: string; lockTimeoutMs: number; shipped: boolean; proxy?: boolean },
): Promise<CollectedMetrics> {
  const started = performance.now();
  const samples = [sample('pg_up', 1)];
  const errors: CollectedMetrics['errors'] = [];
  const section = async (name: string, read: () => Promise<MetricSample[]>) => {
    try {
      samples.push(...(await read()));
    } catch (error) {
      errors.push({ section: name, error: messageOf(error) });
      samples.push(sample('ecliptix_scrape_error', 1, { section: name }));
    }
  };
  await section('server', () => serverSamples(db));
  if (!options.proxy) {
    await section('schema', () => schemaSamples(db, options));
    if (options.shipped) await section('memberships', () => membershipSamples(db));
  }
  samples.push(sample('ecliptix_scrape_duration_seconds', (performance.now() - started) / 1000));
  return { samples, errors };
}

/**
 * The Prometheus text exposition (format 0.0.4) of `samples`, by prom-client:
 * one HELP and TYPE per metric, every metric a gauge (the activity figures
 * are counts over a sliding window, which go down as well as up).
 */
export async function renderExposition(samples: readonly MetricSample[]): Promise<string> {
  const { Gauge, Registry } = await import('prom-client');
  const registry = new Registry();
  const families = new Map<string, { help: string; labelNames: Set<string>; samples: MetricSample[] }>();
  for (const s of samples) {
    const family = families.get(s.name) ?? { help: s.help, labelNames: new Set<string>(), samples: [] };
    for (const label of Object.keys(s.labels)) family.labelNames.add(label);
    family.samples.push(s);
    families.set(s.name, family);
  }
  for (const [name, family] of families) {
    const gauge = new Gauge({ name, help: family.help, labelNames: [...family.labelNames], registers: [registry] });
    for (const s of family.samples) gauge.set(s.labels, s.value);
  }
  return registry.metrics();
}
