/**
 * `cleanup` on a PL/Proxy cluster (docs/SCALE-OUT.md): the retention rules
 * (cleanup.ts) on every partition, each under its own advisory lock and in
 * its own short batches, one partition after another or a few at a time.
 * The rows of a phone all live on one partition, so each partition's rules
 * are complete in themselves: nothing is cleaned up through the proxy (it
 * holds no rows). A partition that fails is named and the others still run;
 * the report gives each partition's and the totals per rule.
 */
import { performance } from 'node:perf_hooks';
import { PersistorError, messageOf } from '../errors.js';
import {
  runCleanup,
  validateCleanupOptions,
  type CleanupOptions,
  type CleanupProgress,
  type CleanupReport,
  type RetentionAction,
} from './cleanup.js';
import type { ClusterDatabase } from './cluster-verify.js';

/** Options of {@link cleanupCluster}: those of one database's clean-up, and how many partitions at a time. */
export interface ClusterCleanupOptions extends Omit<CleanupOptions, 'onProgress'> {
  /** Partitions cleaned up at the same time (default 1: one after another). */
  parallel?: number;
  onProgress?: (progress: CleanupProgress & { partition: number }) => void;
}

/** One partition's clean-up: its report, or why it failed. */
export interface PartitionCleanup {
  index: number;
  name: string;
  /** Undefined when the partition failed (see `error`) or was not started (interrupted before it). */
  report?: CleanupReport;
  error?: string;
  /** Not started: the run was interrupted before this partition's turn. */
  skipped?: boolean;
}

/** One rule summed over the partitions that ran. */
export interface ClusterRuleTotal {
  rule: string;
  table: string;
  action: RetentionAction;
  matched: number;
  affected: number;
  remaining: number;
}

/** What {@link cleanupCluster} did (dry run: would do), per partition and in total. */
export interface ClusterCleanupReport {
  dryRun: boolean;
  /** A partition's run was interrupted, or partitions were not started. */
  interrupted: boolean;
  partitions: PartitionCleanup[];
  /** Per rule, summed over the partitions that reported. */
  totals: ClusterRuleTotal[];
  /** Rows changed on every partition (dry run: 0). */
  totalAffected: number;
  /** Rows matched on every partition (what a dry run would change). */
  totalMatched: number;
  /** The partitions that failed, by name. */
  failed: string[];
  durationMs: number;
}

const MAX_PARALLEL = 64;

/**
 * Runs the clean-up on every partition; never throws for a partition's
 * failure (it is in `report.failed`, and the other partitions still run).
 *
 * @example
 * ```ts
 * const report = await cleanupCluster(partitions, { dryRun: true });
 * console.log(`${report.totalMatched} row(s) would go; failed: ${report.failed.join(', ') || 'none'}`);
 * ```
 */
export async function cleanupCluster(
  partitions: readonly ClusterDatabase[],
  options: ClusterCleanupOptions = {},
): Promise<ClusterCleanupReport> {
  const { parallel = 1, onProgress, ...cleanupOptions } = options;
  validateCleanupOptions(cleanupOptions);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_PARALLEL) {
    throw new PersistorError('INVALID_ARGUMENT', `parallel must be a whole number between 1 and ${MAX_PARALLEL} (got ${parallel})`);
  }
  const started = performance.now();
  const results: PartitionCleanup[] = partitions.map((p, index) => ({ index, name: p.name, skipped: true }));
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= partitions.length) return;
      if (cleanupOptions.signal?.aborted) return;
      const partition = partitions[index]!;
      try {
        const report = await runCleanup(partition.db, {
          ...cleanupOptions,
          ...(onProgress ? { onProgress: (progress: CleanupProgress) => onProgress({ ...progress, partition: index }) } : {}),
        });
        results[index] = { index, name: partition.name, report };
      } catch (error) {
        results[index] = { index, name: partition.name, error: messageOf(error) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, partitions.length) }, worker));

  const totals = new Map<string, ClusterRuleTotal>();
  for (const { report } of results) {
    for (const rule of report?.rules ?? []) {
      const total = totals.get(rule.rule) ?? {
        rule: rule.rule,
        table: rule.table,
        action: rule.action,
        matched: 0,
        affected: 0,
        remaining: 0,
      };
      total.matched += rule.matched;
      total.affected += rule.affected;
      total.remaining += rule.remaining;
      totals.set(rule.rule, total);
    }
  }
  const reported = results.flatMap((r) => (r.report ? [r.report] : []));
  return {
    dryRun: cleanupOptions.dryRun === true,
    interrupted: results.some((r) => r.skipped || r.report?.interrupted),
    partitions: results,
    totals: [...totals.values()],
    totalAffected: reported.reduce((sum, r) => sum + r.totalAffected, 0),
    totalMatched: reported.reduce((sum, r) => sum + r.rules.reduce((s, rule) => s + rule.matched, 0), 0),
    failed: results.filter((r) => r.error !== undefined).map((r) => r.name),
    durationMs: Number((performance.now() - started).toFixed(1)),
  };
}
