/** `cleanup`: the retention rules, in bounded batches that never block live traffic for long; `--dry-run` only counts. */
import {
  runCleanup,
  validateCleanupOptions,
  type CleanupOptions,
  type CleanupProgress,
  type CleanupReport,
} from '../operations/cleanup.js';
import { cleanupCluster, type ClusterCleanupOptions, type ClusterCleanupReport } from '../operations/cluster-cleanup.js';
import { clusterMembers, resolveClusterConfig, withEachMember } from './cluster-runtime.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/**
 * Options of {@link cleanup}: the database, the retention periods in days
 * (`retentionDays`, `eventLogRetentionDays`, `failedAttemptRetentionDays`,
 * `limitGuardRetentionDays`; default: the database's settings), the batch
 * size, `dryRun`, an AbortSignal to stop after the current batch, and progress.
 */
export interface CleanupCommandOptions
  extends
    PersistorOptions,
    Omit<
      CleanupOptions,
      'retentionDays' | 'eventLogRetentionDays' | 'failedAttemptRetentionDays' | 'limitGuardRetentionDays' | 'lockTimeoutMs'
    > {}

/** What {@link cleanup} did (or, in a dry run, would do): per rule, the rows matched, affected and left locked. */
export type { CleanupReport };

/**
 * Applies the retention rules in short batches that skip rows live traffic
 * holds; with `dryRun`, only counts. The retention periods are the options
 * given, else the database's settings rows. An aborted `signal` stops after
 * the current batch (`report.interrupted`); every finished batch is kept.
 *
 * @example
 * ```ts
 * import { cleanup } from 'ecliptix-persistor'
 *
 * const report = await cleanup({ databaseUrl: process.env.DATABASE_URL, retentionDays: 30 })
 * console.log(`${report.totalAffected} rows cleaned up`)
 * ```
 */
export async function cleanup(options: CleanupCommandOptions = {}): Promise<CleanupReport> {
  const { batchSize, dryRun, signal, onProgress, ...rest } = options;
  const cleanupOptions: CleanupOptions = {
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(dryRun === undefined ? {} : { dryRun }),
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(rest.retentionDays === undefined ? {} : { retentionDays: rest.retentionDays }),
    ...(rest.eventLogRetentionDays === undefined ? {} : { eventLogRetentionDays: rest.eventLogRetentionDays }),
    ...(rest.failedAttemptRetentionDays === undefined ? {} : { failedAttemptRetentionDays: rest.failedAttemptRetentionDays }),
    ...(rest.limitGuardRetentionDays === undefined ? {} : { limitGuardRetentionDays: rest.limitGuardRetentionDays }),
  };
  validateCleanupOptions(cleanupOptions); // bad numbers fail before anything is opened
  return withRuntime(rest, ({ db }) => runCleanup(db, cleanupOptions), { mustExist: true });
}

/** Options of {@link clusterCleanup}: those of {@link cleanup}, and how many partitions to clean up at a time. */
export interface ClusterCleanupCommandOptions extends CleanupCommandOptions {
  /** Partitions cleaned up at the same time (default 1: one after another). */
  parallel?: number;
  /** Progress of one partition's rule. */
  onPartitionProgress?: (progress: CleanupProgress & { partition: number }) => void;
}

/** What {@link clusterCleanup} did on each partition and in total, and the partitions that failed. */
export type { ClusterCleanupReport };

/**
 * Applies the retention rules on every partition of the configured cluster
 * (the config file's `cluster` key), each partition as {@link cleanup} does
 * one database; with `dryRun`, only counts. A partition that cannot be
 * reached or fails is named in `report.failed` and the others still run; it
 * does not throw for it. The proxy holds no rows and is not opened.
 *
 * @example
 * ```ts
 * import { clusterCleanup } from 'ecliptix-persistor'
 *
 * const report = await clusterCleanup({ cluster, dryRun: true })
 * for (const p of report.partitions) console.log(p.name, p.report?.totalAffected ?? p.error)
 * ```
 */
export async function clusterCleanup(options: ClusterCleanupCommandOptions = {}): Promise<ClusterCleanupReport> {
  const { parallel, onPartitionProgress, onProgress: _single, batchSize, dryRun, signal, ...rest } = options;
  const overrides = {
    ...(rest.retentionDays === undefined ? {} : { retentionDays: rest.retentionDays }),
    ...(rest.eventLogRetentionDays === undefined ? {} : { eventLogRetentionDays: rest.eventLogRetentionDays }),
    ...(rest.failedAttemptRetentionDays === undefined ? {} : { failedAttemptRetentionDays: rest.failedAttemptRetentionDays }),
    ...(rest.limitGuardRetentionDays === undefined ? {} : { limitGuardRetentionDays: rest.limitGuardRetentionDays }),
  };
  const clusterOptions: Omit<ClusterCleanupOptions, 'onProgress'> = {
    ...overrides,
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(dryRun === undefined ? {} : { dryRun }),
    ...(signal ? { signal } : {}),
    ...(parallel === undefined ? {} : { parallel }),
  };
  validateCleanupOptions(clusterOptions); // bad numbers fail before anything is opened
  const { config, cluster } = resolveClusterConfig(rest);
  // Each partition opened on its own: one that cannot be reached is that partition's failure, not the run's.
  return withEachMember(config, clusterMembers(cluster).partitions, async (opened) => {
    const reachable = opened.flatMap((m, index) => ('db' in m ? [{ index, name: m.name, db: m.db }] : []));
    const report = await cleanupCluster(
      reachable.map(({ name, db }) => ({ name, db })),
      {
        ...clusterOptions,
        ...(onPartitionProgress
          ? { onProgress: (progress) => onPartitionProgress({ ...progress, partition: reachable[progress.partition]!.index }) }
          : {}),
      },
    );
    // Put the unreachable partitions back in their places, as failures.
    const partitions = opened.map((member, index) => {
      if ('error' in member) return { index, name: member.name, error: member.error.message };
      const done = report.partitions[reachable.findIndex((r) => r.index === index)]!;
      return { ...done, index };
    });
    return { ...report, partitions, failed: partitions.filter((p) => p.error !== undefined).map((p) => p.name) };
  });
}
