/**
 * `maintain`: index maintenance and statistics, online — the plan (`apply`
 * false, the default) or the plan carried out one statement at a time.
 */
import { PersistorError } from '../errors.js';
import type { HealthThresholds } from '../operations/health-thresholds.js';
import {
  DEFAULT_MAINTENANCE_LOCK_TIMEOUT_MS,
  applyMaintenance,
  planMaintenance,
  type MaintenanceOptions,
  type MaintenanceReport,
} from '../operations/maintain.js';
import { clusterMembers, withEachMember } from './cluster-runtime.js';
import { resolveConfig, withRuntime, type PersistorOptions } from './runtime.js';

/** Options of {@link maintain}: the database, whether to apply the plan, the thresholds, how long a statement may wait for a lock. */
export interface MaintainCommandOptions extends PersistorOptions, Pick<MaintenanceOptions, 'signal' | 'onProgress'> {
  /** Carry the plan out (default false: only plan). */
  apply?: boolean;
  /** `health`'s threshold overrides (index-bloat, stale-statistics). */
  thresholds?: HealthThresholds;
  /** How long each statement may wait for a lock (default 5000 ms): traffic queued behind it waits at most this long. */
  lockWaitMs?: number;
}

export type { MaintenanceReport };

/** A cluster's run: each partition's report (or why it could not run), and the partitions that failed. */
export interface ClusterMaintenanceReport {
  partitions: { name: string; report?: MaintenanceReport; error?: string }[];
  failed: string[];
  interrupted: boolean;
}

function lockWait(options: MaintainCommandOptions): number {
  const ms = options.lockWaitMs ?? DEFAULT_MAINTENANCE_LOCK_TIMEOUT_MS;
  if (!Number.isInteger(ms) || ms < 1 || ms > 3_600_000)
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `the lock wait must be a whole number of milliseconds from 1 to 3600000 (got ${String(ms)})`,
    );
  return ms;
}

/**
 * Plans index maintenance and statistics updates for the configured
 * database — drop the leftovers of an interrupted REINDEX CONCURRENTLY,
 * rebuild invalid and bloated indexes, ANALYZE stale tables — and, with
 * `apply`, carries the plan out one statement at a time (see
 * operations/maintain.ts). A failed step is in the report, not thrown.
 *
 * @example
 * ```ts
 * import { maintain } from 'ecliptix-persistor'
 *
 * const plan = await maintain({ databaseUrl: process.env.DATABASE_URL })
 * for (const step of plan.steps) console.log(step.statement, '—', step.reason)
 * ```
 */
export async function maintain(options: MaintainCommandOptions = {}): Promise<MaintenanceReport> {
  const { apply, thresholds, lockWaitMs: _lockWaitMs, signal, onProgress, ...rest } = options;
  const lockTimeoutMs = lockWait(options);
  return withRuntime(
    rest,
    async ({ db }) => {
      const started = performance.now();
      const steps = await planMaintenance(db, thresholds ? { thresholds } : {});
      if (!apply) return { applied: false, steps, results: [], interrupted: false, durationMs: performance.now() - started };
      return applyMaintenance(db, steps, { lockTimeoutMs, ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
    },
    { mustExist: true },
  );
}

/**
 * {@link maintain} on every partition of the configured cluster, one after
 * another (the proxy holds no rows or indexes of the schema). A partition
 * that cannot be reached or fails is named in `failed`; the others still run.
 */
export async function clusterMaintain(options: MaintainCommandOptions = {}): Promise<ClusterMaintenanceReport> {
  const { apply, thresholds, signal, onProgress } = options;
  const lockTimeoutMs = lockWait(options);
  const config = resolveConfig(options);
  if (!config.cluster)
    throw new PersistorError('INVALID_CONFIG', 'invalid configuration: no cluster configured (the config file\'s "cluster" key)');
  const { partitions } = clusterMembers(config.cluster);
  return withEachMember(config, partitions, async (members) => {
    const report: ClusterMaintenanceReport = { partitions: [], failed: [], interrupted: false };
    for (const member of members) {
      if (signal?.aborted) {
        report.interrupted = true;
        break;
      }
      if ('error' in member) {
        report.partitions.push({ name: member.name, error: member.error.message });
        report.failed.push(member.name);
        continue;
      }
      try {
        const steps = await planMaintenance(member.db, thresholds ? { thresholds } : {});
        const result = apply
          ? await applyMaintenance(member.db, steps, {
              lockTimeoutMs,
              ...(signal ? { signal } : {}),
              ...(onProgress ? { onProgress } : {}),
            })
          : { applied: false, steps, results: [], interrupted: false, durationMs: 0 };
        report.partitions.push({ name: member.name, report: result });
        if (result.results.some((r) => r.outcome === 'failed')) report.failed.push(member.name);
        if (result.interrupted) report.interrupted = true;
      } catch (error) {
        report.partitions.push({ name: member.name, error: error instanceof Error ? error.message : String(error) });
        report.failed.push(member.name);
      }
    }
    return report;
  });
}
