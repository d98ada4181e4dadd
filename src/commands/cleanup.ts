/** `cleanup`: the retention rules, in bounded batches that never block live traffic for long; `--dry-run` only counts. */
import { runCleanup, validateCleanupOptions, type CleanupOptions, type CleanupReport } from '../operations/cleanup.js';
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
