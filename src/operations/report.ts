/**
 * What the visual report shows, read from one database: the activity per
 * day, verification conversion per region, and the migration state. Only
 * aggregates: no phone number, identifier or secret is read into it.
 */
import type { Database } from '../db/database.js';
import { compareVersions } from '../migrator/files.js';
import { Migrator } from '../migrator/migrator.js';
import { inspectObjects } from '../schema/objects.js';
import { sqlFile } from '../sql-files.js';
import type { HealthSnapshotSummary } from './health-snapshots.js';

/** One UTC day's activity. */
export interface DailyActivity {
  /** YYYY-MM-DD (UTC). */
  day: string;
  flowsStarted: number;
  flowsVerified: number;
  codesIssued: number;
  failedChecks: number;
  membershipsCreated: number;
  /** Sign-ins confirmed by the application. */
  signIns: number;
  /** Failed sign-ins (key releases are neither). */
  failedSignIns: number;
  lockouts: number;
}

/** Verification conversion of one region's numbers (or `other`: the regions with too few flows to show alone). */
export interface RegionConversion {
  region: string;
  flowsStarted: number;
  flowsVerified: number;
  codesIssued: number;
}

/** The calls one limit refused on one UTC day. */
export interface LimitHitsOfDay {
  day: string;
  limit: string;
  hits: number;
}

/** One health run, from its snapshot. */
export interface HealthRun {
  takenAt: string;
  worst: string;
  databaseBytes: number;
  /** How many checks were at each level. */
  levels: { OK: number; WARN: number; CRIT: number };
  /** Each check's level and the number of its worst finding. */
  checks: { check: string; level: string; value: number | null }[];
}

/** Everything the report shows. */
export interface ReportData {
  generatedAt: string;
  /** The database, its password masked. */
  target: string;
  engine: 'pglite' | 'postgres';
  days: number;
  /** Regions with fewer flows than this are folded into `other`. */
  minimumRegionFlows: number;
  activity: DailyActivity[];
  conversion: RegionConversion[];
  /** Refused calls per day and limit; null when this database has no such record or this role may not read it. */
  limitHits: LimitHitsOfDay[] | null;
  /** The health runs of the period, oldest first; null when no snapshot can be read (none kept yet, or no privilege). */
  health: HealthRun[] | null;
  migrations: {
    upToDate: boolean;
    applied: number;
    pending: number;
    problems: string[];
    newestVersion: string | null;
    /** Every EcliptixMemberships object present and enabled (null: not the shipped schema). */
    schemaComplete: boolean | null;
  };
}

/** How much the report covers. */
export interface ReportOptions {
  /** Days of activity, today (UTC) included (default 30). */
  days?: number;
  /** Regions with fewer flows are folded into `other` (default 10). */
  minimumRegionFlows?: number;
}

export const DEFAULT_REPORT_DAYS = 30;
export const DEFAULT_MINIMUM_REGION_FLOWS = 10;

type Count = number | string;

interface DayRow {
  day: string;
  flows_started: Count;
  flows_verified: Count;
  codes_issued: Count;
  failed_checks: Count;
  memberships_created: Count;
  sign_ins: Count;
  failed_sign_ins: Count;
  lockouts: Count;
}

interface RegionRow {
  region: string;
  flows_started: Count;
  flows_verified: Count;
  codes_issued: Count;
}

/**
 * Adds up the rows of each region (several partitions' rows, or one
 * database's), folds the regions with fewer than `minimum` flows into
 * `other` — and, while `other` itself has fewer, the next smallest regions
 * too — and orders them by flows, most first.
 */
export function foldSmallRegions(rows: readonly RegionConversion[], minimum: number): RegionConversion[] {
  const add = (into: Map<string, RegionConversion>, region: string, r: RegionConversion): void => {
    const sum = into.get(region) ?? { region, flowsStarted: 0, flowsVerified: 0, codesIssued: 0 };
    sum.flowsStarted += r.flowsStarted;
    sum.flowsVerified += r.flowsVerified;
    sum.codesIssued += r.codesIssued;
    into.set(region, sum);
  };
  const byRegion = new Map<string, RegionConversion>();
  for (const r of rows) add(byRegion, r.region, r);
  // Smallest first; a region goes into "other" while it is under the minimum — or while "other" itself is (so that
  // "other" never shows one small region's figures alone), until it reaches the minimum or holds every region.
  const ascending = [...byRegion.values()].sort((a, b) => a.flowsStarted - b.flowsStarted || a.region.localeCompare(b.region));
  const other: RegionConversion = { region: 'other', flowsStarted: 0, flowsVerified: 0, codesIssued: 0 };
  const shown: RegionConversion[] = [];
  for (const r of ascending) {
    const otherNeedsMore = other.flowsStarted > 0 && other.flowsStarted < minimum;
    if (r.flowsStarted < minimum || otherNeedsMore || r.region === 'other') {
      other.flowsStarted += r.flowsStarted;
      other.flowsVerified += r.flowsVerified;
      other.codesIssued += r.codesIssued;
    } else shown.push(r);
  }
  if (other.flowsStarted > 0) shown.push(other);
  return shown.sort((a, b) => b.flowsStarted - a.flowsStarted || a.region.localeCompare(b.region));
}

/** SQLSTATEs that mean "not here for this role or schema": no such table (an older schema), no privilege. */
const NOT_AVAILABLE = new Set(['42P01', '42501']);

async function readLimitHits(db: Database, days: number): Promise<LimitHitsOfDay[] | null> {
  try {
    const { rows } = await db.query<{ day: string; limit_name: string; hits: Count }>(sqlFile('operations/report/limit-hits-per-day.sql'), [
      days,
    ]);
    return rows.map((r) => ({ day: r.day, limit: r.limit_name, hits: Number(r.hits) }));
  } catch (error) {
    if (NOT_AVAILABLE.has(String((error as { code?: unknown }).code))) return null;
    throw error;
  }
}

async function readHealthRuns(db: Database, days: number): Promise<HealthRun[] | null> {
  const [state] = (await db.query<{ table_exists: boolean; may_select: boolean }>(sqlFile('operations/health/snapshot-exists.sql'))).rows;
  if (!state?.table_exists || !state.may_select) return null;
  const { rows } = await db.query<{ taken_at: Date; summary: HealthSnapshotSummary }>(sqlFile('operations/report/health-history.sql'), [
    days,
  ]);
  return rows
    .filter((r) => r.summary?.format === 1)
    .map((r) => {
      const checks = Object.entries(r.summary.checks).flatMap(([check, result]) =>
        result ? [{ check, level: result.level, value: result.value }] : [],
      );
      const count = (level: string) => checks.filter((c) => c.level === level).length;
      return {
        takenAt: new Date(r.taken_at).toISOString(),
        worst: r.summary.worst,
        databaseBytes: r.summary.databaseBytes,
        levels: { OK: count('OK'), WARN: count('WARN'), CRIT: count('CRIT') },
        checks,
      };
    });
}

/** Reads what the report shows (read-only). */
export async function collectReport(
  db: Database,
  options: ReportOptions & { migrationsDir: string; lockTimeoutMs: number; shipped: boolean },
): Promise<ReportData> {
  const days = options.days ?? DEFAULT_REPORT_DAYS;
  const minimumRegionFlows = options.minimumRegionFlows ?? DEFAULT_MINIMUM_REGION_FLOWS;
  const plan = await new Migrator({ db, migrationsDir: options.migrationsDir, lockTimeoutMs: options.lockTimeoutMs }).status();
  const applied = plan.statuses.filter((s) => s.state === 'applied' || s.state === 'baselined');
  const versions = applied.flatMap((s) => (s.version === null ? [] : [s.version])).sort((a, b) => compareVersions(a, b));
  const objects = options.shipped ? await inspectObjects(db) : undefined;
  const tablesPresent = objects?.objects.filter((o) => o.kind === 'table').every((o) => o.present) ?? false;
  const activity = tablesPresent ? (await db.query<DayRow>(sqlFile('operations/report/daily-activity.sql'), [days])).rows : [];
  const conversion = tablesPresent ? (await db.query<RegionRow>(sqlFile('operations/report/conversion-by-region.sql'), [days])).rows : [];
  const limitHits = tablesPresent ? await readLimitHits(db, days) : null;
  const health = await readHealthRuns(db, days);
  return {
    generatedAt: new Date().toISOString(),
    target: db.target,
    engine: db.engine,
    days,
    minimumRegionFlows,
    activity: activity.map((r) => ({
      day: r.day,
      flowsStarted: Number(r.flows_started),
      flowsVerified: Number(r.flows_verified),
      codesIssued: Number(r.codes_issued),
      failedChecks: Number(r.failed_checks),
      membershipsCreated: Number(r.memberships_created),
      signIns: Number(r.sign_ins),
      failedSignIns: Number(r.failed_sign_ins),
      lockouts: Number(r.lockouts),
    })),
    conversion: foldSmallRegions(
      conversion.map((r) => ({
        region: r.region,
        flowsStarted: Number(r.flows_started),
        flowsVerified: Number(r.flows_verified),
        codesIssued: Number(r.codes_issued),
      })),
      minimumRegionFlows,
    ),
    limitHits,
    health,
    migrations: {
      upToDate: plan.pending.length === 0 && plan.problems.length === 0,
      applied: applied.length,
      pending: plan.pending.length,
      problems: plan.problems,
      newestVersion: versions.at(-1) ?? null,
      schemaComplete: objects ? objects.complete : null,
    },
  };
}
