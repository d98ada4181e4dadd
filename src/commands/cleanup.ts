/** `cleanup`: the retention rules, in bounded batches that never block live traffic for long; `--dry-run` only counts. */
import { runCleanup, validateCleanupOptions, type CleanupOptions, type CleanupReport } from '../operations/cleanup.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

export interface CleanupCommandOptions
  extends
    PersistorOptions,
    Omit<
      CleanupOptions,
      'retentionDays' | 'eventLogRetentionDays' | 'failedAttemptRetentionDays' | 'limitGuardRetentionDays' | 'lockTimeoutMs'
    > {}

export type { CleanupReport };

/**
 * Applies the retention rules. Retention periods: `retentionDays` /
 * `eventLogRetentionDays` / `failedAttemptRetentionDays` /
 * `limitGuardRetentionDays` when given, else the database's settings rows.
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
