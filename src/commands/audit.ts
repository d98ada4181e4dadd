/** `audit`: the weekly security review of the limits, lockouts, conversion and devices (see operations/audit.ts). */
import { PersistorError } from '../errors.js';
import {
  DEFAULT_AUDIT_DAYS,
  auditPeriod,
  buildAudit,
  readAuditRows,
  runAudit,
  type AuditReport,
  type AuditThresholds,
} from '../operations/audit.js';
import {
  auditSummary,
  keepAuditSnapshot,
  previousAuditSnapshot,
  type AuditSnapshot,
  type AuditSnapshotOutcome,
} from '../operations/audit-snapshots.js';
import { withCluster } from './cluster-runtime.js';
import { resolveConfig, withRuntime, type PersistorOptions } from './runtime.js';

/** Options of {@link audit}: the database, the period in days (default 7), when a prefix is worth a look, and whether to keep a snapshot. */
export interface AuditCommandOptions extends PersistorOptions {
  days?: number;
  thresholds?: Partial<AuditThresholds>;
  /** Keep this review's snapshot (default true); false only reads the previous one. */
  snapshot?: boolean;
}

/** The review, the previous review's snapshot it compares with, and whether this one's was kept. */
export interface AuditResult extends AuditReport {
  previous: AuditSnapshot | null;
  snapshot: AuditSnapshotOutcome;
}

function check(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max))
    throw new PersistorError('INVALID_ARGUMENT', `${name} must be a whole number from ${min} to ${max} (got ${String(value)})`);
}

/**
 * Reviews the last `days` days of the configured database: each limit's
 * refused calls against what it let through, sign-in failures, lockouts and
 * the numbers locked more than once (masked), conversion and codes per
 * verification by calling code, prefixes with low conversion or a burst,
 * the busiest devices. Keeps a snapshot of the figures (persistor.audit_snapshots)
 * and returns the previous one, so that the change since the last review shows.
 *
 * @example
 * ```ts
 * import { audit } from 'ecliptix-persistor'
 *
 * const review = await audit({ databaseUrl: process.env.DATABASE_URL, days: 7 })
 * for (const p of review.suspiciousPrefixes) console.warn(p.key, p.reasons.join('; '))
 * ```
 */
export async function audit(options: AuditCommandOptions = {}): Promise<AuditResult> {
  const { days, thresholds, snapshot, ...rest } = options;
  check('days', days, 1, 366);
  check('the prefix digits', thresholds?.prefixDigits, 0, 6);
  check('the minimum flows of a prefix', thresholds?.minimumFlows, 1, 1_000_000);
  const config = resolveConfig(rest);
  if (config.cluster && !rest.db) {
    // Every partition's figures added up before they are judged (a prefix's numbers are spread over the partitions).
    return withCluster(rest, async ({ partitions }) => {
      const reviewDays = days ?? DEFAULT_AUDIT_DAYS;
      const prefixDigits = thresholds?.prefixDigits ?? 2;
      const period = await auditPeriod(partitions[0]!.db, reviewDays);
      const parts = [];
      for (const partition of partitions) parts.push(await readAuditRows(partition.db, period.since, prefixDigits));
      return {
        ...buildAudit(parts, period, reviewDays, thresholds),
        previous: null,
        snapshot: { kept: false as const, reason: 'not kept on a cluster: run audit on a partition (--database-url) to keep its own' },
      };
    });
  }
  return withRuntime(
    rest,
    async ({ db }) => {
      const previous = (await previousAuditSnapshot(db)) ?? null;
      const report = await runAudit(db, { days: days ?? DEFAULT_AUDIT_DAYS, ...(thresholds ? { thresholds } : {}) });
      const kept =
        snapshot === false ? ({ kept: false, reason: 'not asked for' } as const) : await keepAuditSnapshot(db, auditSummary(report));
      return { ...report, previous, snapshot: kept };
    },
    { mustExist: true },
  );
}
