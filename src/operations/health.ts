/**
 * `health`: the quarterly health check of the deployment guide as one run —
 * every check of health-checks.ts against its thresholds, the sizes and the
 * change since the previous run (health-snapshots.ts), and the worst level,
 * which the command line turns into its exit code. Reads the catalog and the
 * statistics system only, never a row of the memberships tables (the
 * clean-up backlog counts rows, through the clean-up's own dry run).
 */
import { performance } from 'node:perf_hooks';
import type { Database } from '../db/database.js';
import { messageOf } from '../errors.js';
import { formatBytes } from '../util/format.js';
import {
  CHECKS_RUN_WITH,
  checkRunners,
  failedCheck,
  readShared,
  type CheckContext,
  type HealthFinding,
  type TableSize,
} from './health-checks.js';
import {
  DEFAULT_KEEP_SNAPSHOTS,
  keepSnapshot,
  previousSnapshot,
  type HealthSnapshotSummary,
  type SnapshotOutcome,
} from './health-snapshots.js';
import {
  HEALTH_CHECK_NAMES,
  resolveThresholds,
  worse,
  type HealthLevel,
  type HealthThresholds,
  type ResolvedThresholds,
} from './health-thresholds.js';

export type { HealthFinding, TableSize };

/** The schemas `health` looks at: the memberships schema, its support schema and the tool's own. */
export const HEALTH_SCHEMAS: readonly string[] = ['ecliptix', 'ecliptix_internal', 'persistor'];

/** Options of {@link runHealth}. */
export interface HealthOptions {
  /** Overrides of the default thresholds (see HEALTH_CHECKS). */
  thresholds?: HealthThresholds;
  /** Keep this run's snapshot (default true); false only reads the previous one. */
  snapshot?: boolean;
  /** Snapshots kept, the newest (default {@link DEFAULT_KEEP_SNAPSHOTS}). */
  keepSnapshots?: number;
  /** The database is a cluster's proxy (no rows: the clean-up backlog is skipped there). */
  proxy?: boolean;
}

/** A size now, and at the previous snapshot. */
export interface SizeChange {
  bytes: number;
  /** At the previous snapshot; null without one (or for a table it did not have). */
  previousBytes: number | null;
  /** bytes - previousBytes; null without a previous snapshot. */
  changeBytes: number | null;
}

/** What one `health` run found. */
export interface HealthReport {
  /** Where (password masked). */
  target: string;
  engine: 'pglite' | 'postgres';
  serverVersion: string;
  database: string;
  /** When the run started (ISO 8601). */
  checkedAt: string;
  /** The worst level of any finding (SKIPPED ones do not count). */
  worst: HealthLevel;
  /** Findings per level. */
  counts: Record<HealthLevel | 'SKIPPED', number>;
  /** Every finding, in the order of the checks. */
  findings: HealthFinding[];
  /** The database's size and each table's, with the change since the previous snapshot. */
  sizes: {
    database: SizeChange;
    tables: (TableSize & SizeChange & { previousRows: number | null })[];
  };
  /** The previous snapshot this run compares with. */
  previous: { takenAt: string } | null;
  /** This run's snapshot: kept, or why not. */
  snapshot: { kept: true; takenAt: string } | { kept: false; reason: string };
  /** The thresholds used. */
  thresholds: ResolvedThresholds;
  durationMs: number;
}

function change(bytes: number, previous: number | undefined): SizeChange {
  return { bytes, previousBytes: previous ?? null, changeBytes: previous === undefined ? null : bytes - previous };
}

/** "+1.2 MiB since 2026-12-01 04:00 UTC" or "". */
function changeText(now: number, before: number | undefined, at: Date | undefined): string {
  if (before === undefined || at === undefined) return '';
  const delta = now - before;
  const sign = delta >= 0 ? '+' : '-';
  const pct = before > 0 ? ` (${sign}${Math.abs((100 * delta) / before).toFixed(1)} %)` : '';
  return `; ${sign}${formatBytes(Math.abs(delta))}${pct} since the last run (${at.toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
}

/**
 * Runs every check on `db` and returns the report; keeps a snapshot unless
 * `snapshot: false`. Bad thresholds throw INVALID_ARGUMENT before any query.
 * A check that cannot run (a privilege, say) is SKIPPED with the reason; the
 * others still run.
 */
export async function runHealth(db: Database, options: HealthOptions = {}): Promise<HealthReport> {
  const thresholds = resolveThresholds(options.thresholds);
  const started = performance.now();
  const checkedAt = new Date();
  const { tables, database } = await readShared(db, HEALTH_SCHEMAS);
  const previous = await previousSnapshot(db).catch(() => undefined);
  const ctx: CheckContext = { db, engine: db.engine, thresholds, schemas: HEALTH_SCHEMAS, tables, database, proxy: options.proxy === true };

  const runners = checkRunners(changeText(database.database_bytes, previous?.summary.databaseBytes, previous?.takenAt));
  const findings: HealthFinding[] = [];
  for (const name of HEALTH_CHECK_NAMES) {
    try {
      findings.push(...(await runners[name](ctx)));
    } catch (error) {
      for (const check of [name, ...(CHECKS_RUN_WITH[name] ?? [])]) findings.push(failedCheck(ctx, check, messageOf(error)));
    }
  }
  const order = new Map(HEALTH_CHECK_NAMES.map((name, i) => [name, i]));
  findings.sort((a, b) => order.get(a.check)! - order.get(b.check)!);

  const counts = { OK: 0, WARN: 0, CRIT: 0, SKIPPED: 0 };
  let worst: HealthLevel = 'OK';
  for (const f of findings) {
    counts[f.level] += 1;
    if (f.level !== 'SKIPPED') worst = worse(worst, f.level);
  }

  const sizes = {
    database: change(database.database_bytes, previous?.summary.databaseBytes),
    tables: tables.map((t) => {
      const key = `${t.schema_name}.${t.table_name}`;
      const before = previous?.summary.tables[key];
      return {
        schema: t.schema_name,
        table: t.table_name,
        rows: t.live_tuples,
        ...change(t.total_bytes, before?.bytes),
        previousRows: before?.rows ?? null,
      };
    }),
  };

  const summary: HealthSnapshotSummary = {
    format: 1,
    databaseBytes: database.database_bytes,
    tables: Object.fromEntries(tables.map((t) => [`${t.schema_name}.${t.table_name}`, { bytes: t.total_bytes, rows: t.live_tuples }])),
    worst,
    checks: summarizeChecks(findings),
  };
  const outcome: SnapshotOutcome =
    options.snapshot === false
      ? { kept: false, reason: 'not asked to (--no-snapshot)' }
      : await keepSnapshot(db, summary, options.keepSnapshots ?? DEFAULT_KEEP_SNAPSHOTS);

  return {
    target: db.target,
    engine: db.engine,
    serverVersion: database.server_version,
    database: database.database_name,
    checkedAt: checkedAt.toISOString(),
    worst,
    counts,
    findings,
    sizes,
    previous: previous ? { takenAt: previous.takenAt.toISOString() } : null,
    snapshot: outcome.kept ? { kept: true, takenAt: outcome.takenAt.toISOString() } : outcome,
    thresholds,
    durationMs: Number((performance.now() - started).toFixed(1)),
  };
}

/** Per check: the worst level of its findings and the number of the worst one. */
function summarizeChecks(findings: readonly HealthFinding[]): HealthSnapshotSummary['checks'] {
  const rank = { SKIPPED: -1, OK: 0, WARN: 1, CRIT: 2 } as const;
  const out: HealthSnapshotSummary['checks'] = {};
  for (const f of findings) {
    const seen = out[f.check];
    if (
      !seen ||
      rank[f.level] > rank[seen.level] ||
      (rank[f.level] === rank[seen.level] && (f.value ?? -Infinity) > (seen.value ?? -Infinity))
    )
      out[f.check] = { level: f.level, value: f.value };
  }
  return out;
}
