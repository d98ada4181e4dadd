/**
 * `status`: applied and pending migrations, whether the database is up to
 * date, and — for the shipped schema once deployed — the seed's report: the
 * schema's objects (every one MANIFEST lists), row counts per table and the
 * last 24 hours' activity.
 */
import type { Database } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { Migrator } from '../migrator/migrator.js';
import type { MigrationStatus } from '../migrator/plan.js';
import { summariseData, type CountOptions, type DataSummary } from '../operations/data-summary.js';
import { readFailedMigrations, readRecordedErrors, type FailedMigration, type RecordedError } from '../operations/doctor.js';
import { findDrift, type Drift } from '../operations/drift.js';
import { TABLE_NAMES } from '../schema/manifest.js';
import { inspectObjects, type ObjectsReport } from '../schema/objects.js';
import { readRolePrivileges, type RolePrivileges } from '../schema/roles.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/** What {@link status} found: the migrations' states and, for the shipped schema, its objects, roles, row counts and recent activity. */
export interface StatusReport {
  engine: 'pglite' | 'postgres';
  /** The database, its password masked. */
  target: string;
  /** Nothing pending and no problem with what is applied. */
  upToDate: boolean;
  counts: { applied: number; pending: number; problems: number };
  migrations: MigrationStatus[];
  problems: string[];
  warnings: string[];
  /** The EcliptixMemberships objects (every one MANIFEST lists), expected vs present (only when deploying the shipped schema). */
  schema?: ObjectsReport;
  /** The least-privilege roles and what each may do (after `roles` was run). */
  roles?: RolePrivileges[];
  /**
   * Row counts per table — each exact, or for a large table the planner's
   * estimate with `estimated: true` (see {@link StatusOptions.exact}) — and the
   * last 24 hours' activity (only when the shipped schema's 10 tables are deployed).
   */
  data?: DataSummary;
  /** With `drift: true`: objects whose live definition differs from what the migration files build. */
  drift?: Drift[];
  /** The error view: the journal's failed entries, and the errors the routines recorded in the last {@link RECORDED_ERROR_DAYS} days (at most 20, newest first). */
  errors: { failedMigrations: FailedMigration[]; recorded: RecordedError[] };
}

/** How far back status's error view looks for errors the routines recorded. */
export const RECORDED_ERROR_DAYS = 7;

/** Options of {@link status}: the database, whether to look for drift, and how to count the tables' rows. */
export interface StatusOptions extends PersistorOptions, CountOptions {
  /** Also compare every object's definition with the migration files (the check `verify` runs; in a transaction that is rolled back). */
  drift?: boolean;
}

/** The counting options, checked: a threshold must be a whole number of rows, 0 or more (INVALID_ARGUMENT otherwise). */
export function countOptions(options: CountOptions): CountOptions {
  const threshold = options.exactCountThreshold;
  if (threshold !== undefined && !(Number.isSafeInteger(threshold) && threshold >= 0))
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `exactCountThreshold must be a whole number of rows, 0 or more (got ${String(threshold)})`,
    );
  return {
    ...(options.exact === true ? { exact: true } : {}),
    ...(threshold === undefined ? {} : { exactCountThreshold: threshold }),
  };
}

/**
 * Reports applied and pending migrations and whether the database is up to
 * date; for the shipped schema, also its objects, roles, row counts per table
 * and the last 24 hours' activity. A table the planner puts at 100,000 rows
 * or more (`exactCountThreshold`) is not counted but estimated, and marked
 * `estimated`; `exact: true` counts every table (reading all their rows). It
 * only reads: an embedded data directory without a database is a
 * CONNECTION_FAILED error (exit 3).
 *
 * @example
 * ```ts
 * import { status } from 'ecliptix-persistor'
 *
 * const report = await status({ databaseUrl: process.env.DATABASE_URL })
 * if (!report.upToDate) console.warn(`${report.counts.pending} migration(s) pending`)
 * ```
 */
export async function status(options: StatusOptions = {}): Promise<StatusReport> {
  const { drift: withDrift, exact, exactCountThreshold, ...rest } = options;
  const counting = countOptions({ exact, exactCountThreshold });
  return withRuntime(
    rest,
    ({ db, config, migrationsDir }) =>
      statusOf(db, {
        lockTimeoutMs: config.lockTimeoutMs,
        migrationsDir,
        shipped: config.migrationsDir === undefined,
        drift: withDrift === true,
        counting,
      }),
    { mustExist: true },
  );
}

/**
 * The status of one open database (what {@link status} reports; `status` on a
 * cluster reports it for every partition).
 */
export async function statusOf(
  db: Database,
  options: {
    lockTimeoutMs: number;
    migrationsDir: string;
    shipped: boolean;
    drift: boolean;
    /** A cluster partition: its intended differences (identifier defaults) are not drift. */
    partition?: boolean;
    /** How to count the tables' rows (default: estimate the large ones). */
    counting?: CountOptions;
  },
): Promise<StatusReport> {
  const { migrationsDir } = options;
  const schema = options.shipped ? await inspectObjects(db) : undefined;
  const tablesDeployed = schema?.objects.filter((o) => o.kind === 'table' && o.present).length === TABLE_NAMES.length;
  const data = tablesDeployed ? await summariseData(db, options.counting) : undefined;
  const drift = options.drift ? (await findDrift(db, migrationsDir, options.partition ? { partition: true } : {})).drifted : undefined;
  const plan = await new Migrator({ db, migrationsDir, lockTimeoutMs: options.lockTimeoutMs }).status();
  const roles = schema ? await readRolePrivileges(db) : [];
  const errors = {
    failedMigrations: await readFailedMigrations(db),
    recorded: tablesDeployed ? await readRecordedErrors(db, 20, RECORDED_ERROR_DAYS) : [],
  };
  const applied = plan.statuses.filter((s) => s.state === 'applied' || s.state === 'baselined').length;
  return {
    engine: db.engine,
    target: db.target,
    upToDate: plan.pending.length === 0 && plan.problems.length === 0,
    counts: { applied, pending: plan.pending.length, problems: plan.problems.length },
    migrations: plan.statuses,
    problems: plan.problems,
    warnings: plan.warnings,
    ...(schema ? { schema } : {}),
    ...(data ? { data } : {}),
    ...(drift ? { drift } : {}),
    ...(roles.length > 0 ? { roles } : {}),
    errors,
  };
}
