/**
 * What the memberships database holds and did lately: row counts per table
 * and the last 24 hours' activity (for `status`).
 *
 * Counting a table exactly reads all of it (1.7 s for ~7M rows), so by
 * default a table is counted only while it is small: a table the planner
 * puts at {@link DEFAULT_EXACT_COUNT_THRESHOLD} rows or more gets the
 * planner's estimate instead, marked as one. The activity counts are always
 * exact (index range scans over the last day).
 */
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../sql-files.js';

/** Below this many rows (by the planner's estimate) a table is counted exactly; at or above it, estimated. */
export const DEFAULT_EXACT_COUNT_THRESHOLD = 100_000;

/** Rows in one table of schema ecliptix. */
export interface TableCount {
  table: string;
  /** Rows, soft-deleted ones included: counted, or with `estimated` the planner's estimate. */
  rows: number;
  /**
   * `rows` is the planner's estimate — pg_class.reltuples, as of the table's
   * last VACUUM or ANALYZE (or its statistics' live-row count when it was
   * never analysed) — not a count. False: counted exactly.
   */
  estimated: boolean;
  /**
   * Rows marked is_deleted (tables without soft delete: 0). When the table
   * is estimated, so is this: the table's estimate times the share of
   * is_deleted rows in its last ANALYZE's sample (pg_stats, as the planner
   * estimates `WHERE is_deleted`), or null — unknown — when the column has
   * no statistics (the table was never analysed).
   */
  softDeleted: number | null;
  /** `softDeleted` is an estimate or unknown (null), not a count. */
  softDeletedEstimated: boolean;
}

/** What happened in a window (status: the last 24 hours) by the database clock (rows not soft-deleted; always exact). */
export interface Activity {
  /** Start of the window: the database clock minus the window. */
  since: Date;
  flowsCreated: number;
  flowsVerified: number;
  otpsGenerated: number;
  failedOtpChecks: number;
  membershipsCreated: number;
  loginAttempts: number;
  /** Confirmed sign-ins (the application reported that the passphrase opened the released key). */
  successfulLogins: number;
  /** Secure keys released by login_membership (not a sign-in until confirmed, not a failure). */
  keyReleases: number;
  /** Failed sign-ins (those that started a lockout included). */
  failedLogins: number;
  lockouts: number;
}

/** Row counts per table and the last day's activity, as `status` shows them. */
export interface DataSummary {
  tables: TableCount[];
  /** Tables the planner put at this many rows or more are estimated; null: every table was counted (`exact`). */
  estimateThreshold: number | null;
  activity: Activity;
}

/** How {@link summariseData} counts the tables' rows. */
export interface CountOptions {
  /** Count every table exactly, whatever its size (reads every row of every table). */
  exact?: boolean;
  /** Tables the planner puts below this many rows are counted exactly, the others estimated (default {@link DEFAULT_EXACT_COUNT_THRESHOLD}). */
  exactCountThreshold?: number;
}

interface ActivityRow {
  since: Date;
  flows_created: number;
  flows_verified: number;
  otps_generated: number;
  failed_otp_checks: number;
  memberships_created: number;
  successful_logins: number;
  failed_logins: number;
  key_releases: number;
  lockouts: number;
}

interface EstimateRow {
  table_name: string;
  /** pg_class.reltuples: -1 when never vacuumed or analysed. */
  reltuples: number;
  /** pg_stat_user_tables.n_live_tup. */
  live_tuples: number;
  /** Share of is_deleted rows in the last ANALYZE's sample (null: no is_deleted, or never analysed). */
  deleted_fraction: number | null;
}

const WITHOUT_SOFT_DELETE = new Set(['login_attempts', 'event_log']);

/**
 * The planner's estimate of a table's rows, or undefined when it has none:
 * reltuples once the table was vacuumed or analysed, else the statistics'
 * live rows when they hold any (0 may only mean the statistics were reset).
 */
function plannerEstimate(row: EstimateRow): number | undefined {
  if (row.reltuples >= 0) return Math.round(row.reltuples);
  if (Number(row.live_tuples) > 0) return Number(row.live_tuples);
  return undefined;
}

/** Counts the tables' rows (exactly, or estimated for the large ones: see {@link CountOptions}) and the last 24 hours' activity (read-only). */
export async function summariseData(db: Queryable, options: CountOptions = {}): Promise<DataSummary> {
  const threshold = options.exactCountThreshold ?? DEFAULT_EXACT_COUNT_THRESHOLD;
  const { rows: estimates } = await db.query<EstimateRow>(sqlFile('operations/row-estimates.sql'));
  const estimated = new Map<string, TableCount>();
  if (options.exact !== true) {
    for (const row of estimates) {
      const estimate = plannerEstimate(row);
      // Unknown (never analysed, no statistics) or small: counted below.
      if (estimate === undefined || estimate < threshold) continue;
      const softDeleted = WITHOUT_SOFT_DELETE.has(row.table_name)
        ? 0
        : row.deleted_fraction === null
          ? null
          : Math.round(estimate * row.deleted_fraction);
      estimated.set(row.table_name, {
        table: row.table_name,
        rows: estimate,
        estimated: true,
        softDeleted,
        softDeletedEstimated: !WITHOUT_SOFT_DELETE.has(row.table_name),
      });
    }
  }
  const toCount = estimates.map((r) => r.table_name).filter((table) => !estimated.has(table));
  const counted = new Map<string, TableCount>();
  if (toCount.length > 0) {
    const { rows } = await db.query<{ table_name: string; counts: number[] | null }>(sqlFile('operations/row-counts.sql'), [toCount]);
    for (const r of rows) {
      if (r.counts === null) continue; // not asked for: not scanned
      counted.set(r.table_name, {
        table: r.table_name,
        rows: Number(r.counts[0]),
        estimated: false,
        softDeleted: Number(r.counts[1]),
        softDeletedEstimated: false,
      });
    }
  }
  return {
    tables: estimates.map((r) => estimated.get(r.table_name) ?? counted.get(r.table_name)!),
    estimateThreshold: options.exact === true ? null : threshold,
    activity: await readActivity(db, '24 hours'),
  };
}

/** What happened in the last `window` (an interval PostgreSQL reads: '24 hours', '1 hour') by the database clock; read-only. */
export async function readActivity(db: Queryable, window: string): Promise<Activity> {
  const a = (await db.query<ActivityRow>(sqlFile('operations/activity.sql'), [window])).rows[0]!;
  return {
    since: a.since,
    flowsCreated: Number(a.flows_created),
    flowsVerified: Number(a.flows_verified),
    otpsGenerated: Number(a.otps_generated),
    failedOtpChecks: Number(a.failed_otp_checks),
    membershipsCreated: Number(a.memberships_created),
    loginAttempts: Number(a.successful_logins) + Number(a.failed_logins),
    successfulLogins: Number(a.successful_logins),
    keyReleases: Number(a.key_releases),
    failedLogins: Number(a.failed_logins) - Number(a.key_releases),
    lockouts: Number(a.lockouts),
  };
}
