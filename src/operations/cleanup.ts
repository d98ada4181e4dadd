/**
 * The retention clean-up (the seed's monthly Cleanup.sql, which could not
 * even run). Each rule works through its rows in bounded batches, each batch
 * one short transaction that skips rows live traffic holds locked (FOR UPDATE
 * SKIP LOCKED), so clearing millions of rows never holds up sign-ups for more
 * than one batch. The cut-offs are fixed once at the start, so the run ends;
 * rows that were skipped or came of age meanwhile are left for the next run,
 * which is always safe: every batch is complete or not at all.
 */
import { performance } from 'node:perf_hooks';
import type { Database, Queryable } from '../db/database.js';
import { PersistorError, messageOf } from '../errors.js';
import { sqlFile } from '../sql-files.js';

export type RetentionAction = 'soft-delete' | 'delete';

export interface RetentionRule {
  table: string;
  action: RetentionAction;
  /** Which rows, in words. */
  rows: string;
  /** Which retention period applies. */
  period: 'retention' | 'event-log';
  /** File stem under sql/operations/cleanup/: <stem>-count.sql and <stem>-batch.sql. */
  sql: string;
  /** The batch walks the rows in order from where the previous one stopped ($3, $4): rows that stay are passed once. */
  keyset?: boolean;
}

/** The spec's rules, in the seed's order. */
export const RETENTION_RULES: readonly RetentionRule[] = [
  { table: 'verification_flows', action: 'soft-delete', rows: 'expired or failed flows', period: 'retention', sql: 'verification-flows' },
  { table: 'otp_records', action: 'soft-delete', rows: 'expired, failed or verified OTPs', period: 'retention', sql: 'otp-records' },
  { table: 'failed_otp_attempts', action: 'soft-delete', rows: 'failed OTP attempts', period: 'retention', sql: 'failed-otp-attempts' },
  { table: 'login_attempts', action: 'delete', rows: 'successful login attempts (failures are kept; so is the newest success of each phone)', period: 'retention', sql: 'login-attempts', keyset: true },
  { table: 'membership_attempts', action: 'soft-delete', rows: 'successful membership attempts (failures are kept)', period: 'retention', sql: 'membership-attempts' },
  { table: 'event_log', action: 'delete', rows: 'events', period: 'event-log', sql: 'event-log' },
];

export interface CleanupOptions {
  /** Override of the database's retention_days setting. */
  retentionDays?: number;
  /** Override of the database's event_log_retention_days setting. */
  eventLogRetentionDays?: number;
  /** Rows per batch (each batch is one transaction). */
  batchSize?: number;
  /** Count what would go; change nothing. */
  dryRun?: boolean;
  /** Stops the run between batches (SIGINT); the report says interrupted. */
  signal?: AbortSignal;
  /** How long one batch may wait for a table lock before the run stops. */
  lockTimeoutMs?: number;
  onProgress?: (progress: CleanupProgress) => void;
}

export interface CleanupProgress {
  table: string;
  action: RetentionAction;
  done: number;
  /** Rows that matched when the rule started. */
  total: number;
  elapsedMs: number;
}

export interface RuleReport {
  table: string;
  action: RetentionAction;
  rows: string;
  retentionDays: number;
  /** Rows older than this are affected (the database clock at the start minus the retention period). */
  cutoff: string;
  /** Rows that matched when the rule started. */
  matched: number;
  /** Rows soft-deleted or deleted (dry run: 0). */
  affected: number;
  batches: number;
  /** Rows that still match at the end: held locked by live traffic when their batch ran (run again). */
  remaining: number;
  durationMs: number;
}

export interface CleanupReport {
  dryRun: boolean;
  interrupted: boolean;
  batchSize: number;
  retentionDays: number;
  eventLogRetentionDays: number;
  rules: RuleReport[];
  totalAffected: number;
  durationMs: number;
}

export const DEFAULT_BATCH_SIZE = 5000;
export const MAX_BATCH_SIZE = 100_000;
const DEFAULT_BATCH_LOCK_TIMEOUT_MS = 10_000;
/** A fixed key (first 8 bytes of sha256("ecliptix-persistor:cleanup")): one clean-up at a time per database. */
export const CLEANUP_LOCK_KEY = '8543687813757298915';

interface BatchRow {
  n: number;
  last_at?: string | null;
  last_id?: number | null;
}

interface RetentionRow {
  retention_days: number;
  event_log_retention_days: number;
  cutoff: string;
  event_log_cutoff: string;
}

function assertDays(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > 36_500) {
    throw new PersistorError('INVALID_ARGUMENT', `${name} must be a whole number of days between 1 and 36500 (got ${value})`);
  }
}

export function validateCleanupOptions(options: CleanupOptions): void {
  assertDays('retention days', options.retentionDays);
  assertDays('event log retention days', options.eventLogRetentionDays);
  const batch = options.batchSize;
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH_SIZE)) {
    throw new PersistorError('INVALID_ARGUMENT', `batch size must be a whole number between 1 and ${MAX_BATCH_SIZE} (got ${batch})`);
  }
}

async function readRetention(db: Queryable, options: CleanupOptions): Promise<RetentionRow> {
  let row: RetentionRow;
  try {
    row = (await db.query<RetentionRow>(sqlFile('operations/cleanup/retention.sql'), [options.retentionDays ?? null, options.eventLogRetentionDays ?? null])).rows[0]!;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '3F000' || code === '42P01' || code === '42883') {
      throw new PersistorError('VALIDATION_FAILED', 'the memberships schema is not deployed here (run `ecliptix-persistor migrate` first)', { cause: error });
    }
    throw new PersistorError('VALIDATION_FAILED', `cannot read the retention settings: ${messageOf(error)}`, { cause: error });
  }
  for (const [name, days] of [
    ['retention_days', row.retention_days],
    ['event_log_retention_days', row.event_log_retention_days],
  ] as const) {
    if (days < 1) {
      throw new PersistorError('VALIDATION_FAILED', `the setting ${name} is ${days}: it must be at least 1 day (fix ecliptix_internal.settings, or pass a retention on the command line)`);
    }
  }
  return row;
}

async function countMatching(db: Queryable, rule: RetentionRule, cutoff: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sqlFile(`operations/cleanup/${rule.sql}-count.sql`), [cutoff]);
  return Number(rows[0]!.n);
}

export async function runCleanup(db: Database, options: CleanupOptions = {}): Promise<CleanupReport> {
  validateCleanupOptions(options);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const lockTimeout = `${options.lockTimeoutMs ?? DEFAULT_BATCH_LOCK_TIMEOUT_MS}ms`;
  const started = performance.now();

  return db.withSession(async (session) => {
    const retention = await readRetention(session, options);
    const locked = (await session.query<{ acquired: boolean }>(sqlFile('persistor/try-advisory-lock.sql'), [CLEANUP_LOCK_KEY])).rows[0]?.acquired;
    if (!locked) throw new PersistorError('LOCK_TIMEOUT', 'another clean-up is running on this database; try again when it has finished');
    const rules: RuleReport[] = [];
    let interrupted = false;
    try {
      for (const rule of RETENTION_RULES) {
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
        const cutoff = rule.period === 'event-log' ? retention.event_log_cutoff : retention.cutoff;
        const retentionDays = rule.period === 'event-log' ? retention.event_log_retention_days : retention.retention_days;
        const ruleStarted = performance.now();
        const matched = await countMatching(session, rule, cutoff);
        let affected = 0;
        let batches = 0;
        let cursor: [string, number] = ['-infinity', 0];
        if (!options.dryRun) {
          while (affected < matched) {
            if (options.signal?.aborted) {
              interrupted = true;
              break;
            }
            const params = rule.keyset ? [cutoff, batchSize, ...cursor] : [cutoff, batchSize];
            const batch = await session.transaction(async (tx) => {
              await tx.query(sqlFile('operations/cleanup/batch-settings.sql'), [lockTimeout]);
              return (await tx.query<BatchRow>(sqlFile(`operations/cleanup/${rule.sql}-batch.sql`), params)).rows[0]!;
            });
            const changed = Number(batch.n);
            if (batch.last_at != null && batch.last_id != null) cursor = [batch.last_at, Number(batch.last_id)];
            batches++;
            affected += changed;
            options.onProgress?.({ table: rule.table, action: rule.action, done: affected, total: matched, elapsedMs: performance.now() - ruleStarted });
            if (changed === 0) break; // what is left is held locked by live traffic
          }
        }
        const remaining = options.dryRun ? matched : await countMatching(session, rule, cutoff);
        rules.push({
          table: rule.table,
          action: rule.action,
          rows: rule.rows,
          retentionDays,
          cutoff,
          matched,
          affected,
          batches,
          remaining,
          durationMs: Number((performance.now() - ruleStarted).toFixed(1)),
        });
        if (interrupted) break;
      }
    } catch (error) {
      if (error instanceof PersistorError) throw error;
      const code = (error as { code?: string }).code;
      const what = code === '55P03' ? `a batch waited more than ${lockTimeout} for a table lock (is a migration running?)` : messageOf(error);
      throw new PersistorError('OPERATION_FAILED', `clean-up stopped: ${what}; every finished batch is kept, the failed one was rolled back — run it again`, {
        details: rules.map((r) => `${r.table}: ${r.affected} row(s) ${r.action === 'delete' ? 'deleted' : 'soft-deleted'}`),
        cause: error,
      });
    } finally {
      await session.query(sqlFile('persistor/advisory-unlock.sql'), [CLEANUP_LOCK_KEY]).catch(() => undefined);
    }
    return {
      dryRun: options.dryRun === true,
      interrupted,
      batchSize,
      retentionDays: retention.retention_days,
      eventLogRetentionDays: retention.event_log_retention_days,
      rules,
      totalAffected: rules.reduce((sum, r) => sum + r.affected, 0),
      durationMs: Number((performance.now() - started).toFixed(1)),
    };
  });
}
