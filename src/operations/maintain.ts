/**
 * Index maintenance and statistics, online — the guide's quarterly "index
 * maintenance and statistics updates". The plan comes from the same reads as
 * `health` (invalid indexes and leftovers of an interrupted REINDEX
 * CONCURRENTLY, the index bloat estimate, rows modified since the last
 * ANALYZE) judged against the same thresholds. Applying it runs one
 * statement at a time, each with a lock timeout: DROP INDEX CONCURRENTLY for
 * the leftovers, REINDEX INDEX CONCURRENTLY for invalid and bloated indexes,
 * then ANALYZE for the stale tables. None of them blocks reads or writes of
 * the table; each waits for a lock at most the lock timeout, and a reindex
 * that gives up (or is interrupted) has its half-built index dropped.
 */
import type { Database, Session } from '../db/database.js';
import { PersistorError, messageOf } from '../errors.js';
import { sqlFile } from '../sql-files.js';
import type { TableStatsRow } from './health-checks.js';
import { HEALTH_SCHEMAS } from './health.js';
import { resolveThresholds, type HealthThresholds } from './health-thresholds.js';

/** What one step does: drop a leftover index, rebuild an index, or refresh a table's statistics. */
export type MaintenanceKind = 'drop-leftover' | 'reindex' | 'analyze';

/** One step of the plan: what, on which object, why, and the statement it runs. */
export interface MaintenanceStep {
  kind: MaintenanceKind;
  schema: string;
  /** The index (drop-leftover, reindex) or the table (analyze). */
  name: string;
  /** The table the index belongs to (the table itself for analyze). */
  table: string;
  /** Why, with the number behind it. */
  reason: string;
  statement: string;
}

/** What happened to one step. */
export interface MaintenanceResult {
  step: MaintenanceStep;
  outcome: 'done' | 'failed' | 'not-run';
  ms: number;
  /** Why it failed (a lock timeout, a duplicate key for a unique index, …). */
  error?: string;
  /** Leftover indexes of this step's failed reindex that were dropped. */
  droppedLeftovers?: string[];
  /** This step's failed reindex left an index that could not be dropped, and why. */
  leftoverError?: string;
}

/** The report of a run: the plan, and with `apply` what each step did. */
export interface MaintenanceReport {
  applied: boolean;
  steps: MaintenanceStep[];
  results: MaintenanceResult[];
  /** Stopped between steps (or the running step cancelled) by the signal. */
  interrupted: boolean;
  durationMs: number;
}

/** Options of {@link planMaintenance} and {@link applyMaintenance}. */
export interface MaintenanceOptions {
  /** The same overrides as `health`'s: index-bloat (warn %, min MB) and stale-statistics (warn %, min rows). */
  thresholds?: HealthThresholds;
  /** How long each statement may wait for a lock before it gives up (default 5000 ms). */
  lockTimeoutMs?: number;
  /** Stops between steps, and cancels the running one. */
  signal?: AbortSignal;
  /** Called when a step starts and when it ends. */
  onProgress?: (event: { index: number; total: number; step: MaintenanceStep; result?: MaintenanceResult }) => void;
}

export const DEFAULT_MAINTENANCE_LOCK_TIMEOUT_MS = 5000;

/** One maintain at a time per database (an advisory lock, as the clean-up takes its own). */
const MAINTAIN_LOCK_KEY = '8543687813757298916';

interface IndexRow {
  schema_name: string;
  index_name: string;
  table_name: string;
  leftover: boolean;
  index_bytes: number;
}

interface BloatRow {
  schema_name: string;
  table_name: string;
  index_name: string;
  real_bytes: number;
  bloat_bytes: number;
  bloat_pct: number;
  is_na: boolean;
}

interface Statements {
  reindex: string;
  drop_index: string;
  analyze: string;
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

async function statementsFor(db: Database | Session, schema: string, name: string): Promise<Statements> {
  return (await db.query<Statements>(sqlFile('operations/maintain/statements.sql'), [schema, name])).rows[0]!;
}

/**
 * What `maintain --apply` would do, in order: drop the leftovers of an
 * interrupted REINDEX CONCURRENTLY, rebuild the invalid indexes, then the
 * bloated ones (most bloated first), then ANALYZE the tables whose
 * statistics are stale. Read-only.
 */
export async function planMaintenance(db: Database, options: Pick<MaintenanceOptions, 'thresholds'> = {}): Promise<MaintenanceStep[]> {
  const thresholds = resolveThresholds(options.thresholds);
  const schemas = [...HEALTH_SCHEMAS];
  const steps: MaintenanceStep[] = [];
  const invalid = (await db.query<IndexRow>(sqlFile('operations/health/invalid-indexes.sql'), [schemas])).rows;
  for (const row of invalid.filter((r) => r.leftover)) {
    const s = await statementsFor(db, row.schema_name, row.index_name);
    steps.push({
      kind: 'drop-leftover',
      schema: row.schema_name,
      name: row.index_name,
      table: row.table_name,
      reason: `left by an interrupted REINDEX CONCURRENTLY (${mb(Number(row.index_bytes))}, maintained on every write, never read)`,
      statement: s.drop_index,
    });
  }
  const rebuilt = new Set<string>();
  for (const row of invalid.filter((r) => !r.leftover)) {
    const s = await statementsFor(db, row.schema_name, row.index_name);
    rebuilt.add(`${row.schema_name}.${row.index_name}`);
    steps.push({
      kind: 'reindex',
      schema: row.schema_name,
      name: row.index_name,
      table: row.table_name,
      reason: 'invalid: a CREATE or REINDEX CONCURRENTLY failed part way; the planner never uses it',
      statement: s.reindex,
    });
  }
  const bloat = thresholds['index-bloat'];
  const minBytes = (bloat.min ?? 0) * MB;
  const bloated = (await db.query<BloatRow>(sqlFile('operations/health/index-bloat.sql'), [schemas])).rows
    .filter((r) => !r.is_na && Number(r.real_bytes) >= minBytes && Number(r.real_bytes) > 0)
    .filter((r) => bloat.warn !== null && Number(r.bloat_pct) >= bloat.warn)
    .filter((r) => !rebuilt.has(`${r.schema_name}.${r.index_name}`))
    .sort((a, b) => Number(b.bloat_pct) - Number(a.bloat_pct));
  for (const row of bloated) {
    const s = await statementsFor(db, row.schema_name, row.index_name);
    steps.push({
      kind: 'reindex',
      schema: row.schema_name,
      name: row.index_name,
      table: row.table_name,
      reason: `bloated: an estimated ${Math.round(Number(row.bloat_pct))} % (~${mb(Number(row.bloat_bytes))} of ${mb(Number(row.real_bytes))}) is free space beyond the fillfactor (threshold ${bloat.warn} %)`,
      statement: s.reindex,
    });
  }
  const stale = thresholds['stale-statistics'];
  const tables = (await db.query<TableStatsRow>(sqlFile('operations/health/table-stats.sql'))).rows;
  for (const t of tables) {
    const mods = Number(t.mods_since_analyze);
    const share = (100 * mods) / Math.max(Number(t.live_tuples), 1);
    if (mods <= 0 || mods < (stale.min ?? 0) || stale.warn === null || share < stale.warn) continue;
    const s = await statementsFor(db, t.schema_name, t.table_name);
    steps.push({
      kind: 'analyze',
      schema: t.schema_name,
      name: t.table_name,
      table: t.table_name,
      reason: `stale statistics: ${mods} rows modified since the last ANALYZE, ${Math.round(share)} % of its ${Number(t.live_tuples)} live rows (threshold ${stale.warn} %)`,
      statement: s.analyze,
    });
  }
  return steps;
}

interface InvalidIndexRow {
  oid: number | string;
  index_name: string;
  leftover_name: boolean;
}

async function invalidIndexesOf(session: Session, step: MaintenanceStep): Promise<InvalidIndexRow[]> {
  return (await session.query<InvalidIndexRow>(sqlFile('operations/maintain/invalid-on-table.sql'), [step.schema, step.table])).rows;
}

/**
 * Drops the index a failed REINDEX INDEX CONCURRENTLY of `step` left
 * half-built: invalid, named as a rebuild's, and not among the invalid
 * indexes the table had before the statement (`before`). Another session's
 * REINDEX CONCURRENTLY of the same table cannot have run meanwhile (each takes
 * a lock that conflicts with the other's). Returns what it dropped and, when
 * a drop itself failed, why.
 */
async function dropLeftoversOf(
  session: Session,
  step: MaintenanceStep,
  before: readonly InvalidIndexRow[],
): Promise<{ dropped: string[]; error?: string }> {
  const known = new Set(before.map((r) => String(r.oid)));
  const dropped: string[] = [];
  try {
    for (const row of await invalidIndexesOf(session, step)) {
      if (known.has(String(row.oid)) || !row.leftover_name) continue;
      const s = await statementsFor(session, step.schema, row.index_name);
      await session.query(s.drop_index);
      dropped.push(row.index_name);
    }
    return { dropped };
  } catch (error) {
    return { dropped, error: messageOf(error) };
  }
}

/**
 * Runs `steps` (from {@link planMaintenance}) one at a time on one session:
 * each statement waits for a lock at most `lockTimeoutMs`; a step that fails
 * is reported and the next one runs; a reindex that fails has its
 * half-built index dropped. An aborted `signal` cancels the running
 * statement (its leftover dropped too) and stops. One maintain at a time
 * per database: LOCK_TIMEOUT (exit 1) when another holds its lock.
 */
export async function applyMaintenance(
  db: Database,
  steps: readonly MaintenanceStep[],
  options: MaintenanceOptions = {},
): Promise<MaintenanceReport> {
  const started = performance.now();
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_MAINTENANCE_LOCK_TIMEOUT_MS;
  return db.withSession(async (session) => {
    const acquired = (await session.query<{ acquired: boolean }>(sqlFile('persistor/try-advisory-lock.sql'), [MAINTAIN_LOCK_KEY])).rows[0]
      ?.acquired;
    if (!acquired) throw new PersistorError('LOCK_TIMEOUT', 'another maintain is running on this database; try again when it has finished');
    const results: MaintenanceResult[] = [];
    let interrupted = false;
    try {
      await session.query(sqlFile('operations/maintain/lock-timeout.sql'), [`${lockTimeoutMs}ms`]);
      // Cancelling needs the session's backend (another connection asks the server to cancel it); PGlite has one
      // session, so there an interrupt stops between steps.
      const pid =
        db.engine === 'postgres'
          ? (await session.query<{ pid: number }>(sqlFile('operations/maintain/backend-pid.sql'))).rows[0]!.pid
          : null;
      for (const [index, step] of steps.entries()) {
        if (options.signal?.aborted) {
          interrupted = true;
          results.push(...steps.slice(index).map((s): MaintenanceResult => ({ step: s, outcome: 'not-run', ms: 0 })));
          break;
        }
        options.onProgress?.({ index, total: steps.length, step });
        const before = step.kind === 'reindex' ? await invalidIndexesOf(session, step) : [];
        const t0 = performance.now();
        let cancelling: Promise<unknown> | undefined;
        const cancel = () => {
          if (pid !== null && !cancelling) cancelling = db.query(sqlFile('operations/maintain/cancel.sql'), [pid]).catch(() => undefined);
        };
        options.signal?.addEventListener('abort', cancel, { once: true });
        let result: MaintenanceResult;
        try {
          if (options.signal?.aborted) cancel(); // an abort between the check above and the listener
          await session.query(step.statement);
          result = { step, outcome: 'done', ms: performance.now() - t0 };
        } catch (error) {
          // Nothing else runs on the session until a cancel asked for is through (a late one finds it idle and does nothing).
          await cancelling;
          const leftovers = step.kind === 'reindex' ? await dropLeftoversOf(session, step, before) : { dropped: [] };
          result = {
            step,
            outcome: 'failed',
            ms: performance.now() - t0,
            error: describeFailure(error, lockTimeoutMs),
            ...(leftovers.dropped.length > 0 ? { droppedLeftovers: leftovers.dropped } : {}),
            ...(leftovers.error
              ? {
                  leftoverError: `its half-built index could not be dropped: ${leftovers.error}; maintain --apply drops it on its next run`,
                }
              : {}),
          };
        } finally {
          options.signal?.removeEventListener('abort', cancel);
          await cancelling;
        }
        results.push(result);
        options.onProgress?.({ index, total: steps.length, step, result });
      }
      if (options.signal?.aborted && !interrupted) interrupted = results.some((r) => r.outcome !== 'done');
    } finally {
      await session.query(sqlFile('operations/maintain/reset-lock-timeout.sql')).catch(() => undefined);
      await session.query(sqlFile('persistor/advisory-unlock.sql'), [MAINTAIN_LOCK_KEY]).catch(() => undefined);
    }
    return { applied: true, steps: [...steps], results, interrupted, durationMs: performance.now() - started };
  });
}

/** A failed statement in words an operator can act on. */
function describeFailure(error: unknown, lockTimeoutMs: number): string {
  const code = (error as { code?: unknown }).code;
  if (code === '55P03')
    return `waited ${lockTimeoutMs} ms for a lock (lock timeout) and gave up; run it again when the database is quieter`;
  if (code === '57014') return 'cancelled (interrupted)';
  if (code === '23505') return `${messageOf(error)}: a unique index cannot be rebuilt while duplicates exist; remove them first`;
  return messageOf(error);
}
