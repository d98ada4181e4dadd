/**
 * The retention clean-up (the seed's monthly Cleanup.sql, which could not
 * even run), and the rules that keep unauthenticated callers from growing
 * tables without limit (flows and OTPs nobody finished, failed attempts).
 * Each rule works through its rows in bounded batches, each batch one short
 * transaction that skips rows live traffic holds locked (FOR UPDATE SKIP
 * LOCKED), so clearing millions of rows never holds up sign-ups for more than
 * one batch. The cut-offs are fixed once at the start, so the run ends; rows
 * that were skipped or came of age meanwhile are left for the next run, which
 * is always safe: every batch is complete or not at all.
 */
import { performance } from 'node:perf_hooks';
import { retentionDaysSchema } from '../config/schema.js';
import type { Database, Queryable } from '../db/database.js';
import { PersistorError, messageOf } from '../errors.js';
import { sqlFile } from '../sql-files.js';

/** What a rule does to a row: mark it expired, soft-delete it, or delete it. */
export type RetentionAction = 'expire' | 'soft-delete' | 'delete';

/**
 * Which instant a rule compares with: 'expiry' the database clock at the start
 * (rows whose expires_at has passed), the others that clock minus a period.
 */
export type RetentionPeriod = 'expiry' | 'retention' | 'event-log' | 'failed-attempts' | 'limit-guards';

/** One retention rule: the table, the action, and which retention period decides the age. */
export interface RetentionRule {
  /** File stem under sql/operations/cleanup/ (<rule>-count.sql and <rule>-batch.sql); names the rule in the report. */
  rule: string;
  table: string;
  action: RetentionAction;
  /** Which rows, in words. */
  rows: string;
  period: RetentionPeriod;
  /** For the failed-attempt rules: which cut-off (each is kept out of the window its procedure counts over). */
  cutoff?: 'failed-login' | 'failed-membership';
  /**
   * The batch walks the rows in order from where the previous one stopped (its
   * last row's key, passed as $3 and $4 when it has two parts): rows that stay
   * are passed once. The value is the key to start from.
   */
  keyset?: readonly [string] | readonly [string, number];
  /**
   * With a keyset: each batch looks at no more than the next batch-size rows
   * of the walk, whatever matches, so it stays bounded when few rows match;
   * the batch says whether there is more to walk, and the rule goes on until
   * there is not (a batch that changes nothing does not end it).
   */
  slices?: boolean;
  /**
   * The count takes $2, the instant at which the expiry rules before it mark
   * rows expired: a dry run passes the run's clock, so that it counts the rows
   * those rules would first make eligible; a real run, after them, '-infinity'.
   */
  countsAfterExpiry?: boolean;
}

/** The rules, in the order they run: the expiry rules first, so that what they expire is cleaned up by the retention rules in the same run. */
export const RETENTION_RULES: readonly RetentionRule[] = [
  {
    rule: 'abandoned-flows',
    table: 'verification_flows',
    action: 'expire',
    rows: 'pending flows past their expires_at',
    period: 'expiry',
    keyset: ['-infinity', 0],
  },
  {
    rule: 'expired-otps',
    table: 'otp_records',
    action: 'expire',
    rows: 'pending OTPs past their expires_at (made inactive)',
    period: 'expiry',
    keyset: ['-infinity', 0],
  },
  {
    rule: 'finished-flow-otps',
    table: 'otp_records',
    action: 'expire',
    rows: 'active OTPs of flows no longer pending (made inactive; a verified one keeps its status)',
    period: 'expiry',
    keyset: ['-infinity', 0],
    countsAfterExpiry: true,
  },
  {
    rule: 'verification-flows',
    table: 'verification_flows',
    action: 'soft-delete',
    rows: 'expired or failed flows',
    period: 'retention',
    keyset: ['-infinity', 0],
    countsAfterExpiry: true,
  },
  {
    rule: 'otp-records',
    table: 'otp_records',
    action: 'soft-delete',
    rows: 'expired, failed or verified OTPs',
    period: 'retention',
    countsAfterExpiry: true,
  },
  { rule: 'failed-otp-attempts', table: 'failed_otp_attempts', action: 'soft-delete', rows: 'failed OTP attempts', period: 'retention' },
  {
    rule: 'login-attempts',
    table: 'login_attempts',
    action: 'delete',
    rows: 'successful login attempts (the newest success of each phone is kept)',
    period: 'retention',
    keyset: ['-infinity', 0],
  },
  {
    rule: 'failed-login-attempts',
    table: 'login_attempts',
    action: 'delete',
    rows: 'failed login attempts (a lockout not yet over by the cut-off is kept)',
    period: 'failed-attempts',
    cutoff: 'failed-login',
  },
  {
    rule: 'membership-attempts',
    table: 'membership_attempts',
    action: 'soft-delete',
    rows: 'successful membership attempts',
    period: 'retention',
  },
  {
    rule: 'failed-membership-attempts',
    table: 'membership_attempts',
    action: 'delete',
    rows: 'failed membership attempts',
    period: 'failed-attempts',
    cutoff: 'failed-membership',
  },
  { rule: 'event-log', table: 'event_log', action: 'delete', rows: 'events', period: 'event-log' },
  {
    rule: 'limit-guards',
    table: 'limit_guards',
    action: 'delete',
    rows: 'limit guards (ecliptix_internal) not taken since the cut-off',
    period: 'limit-guards',
    keyset: [''],
    slices: true,
  },
  {
    rule: 'limit-hits',
    table: 'limit_hits',
    action: 'delete',
    rows: 'limit-hit counters (ecliptix_internal) of hours that ended before the cut-off',
    period: 'event-log',
  },
  {
    rule: 'limit-refusals',
    table: 'limit_refusals',
    action: 'delete',
    rows: 'refusal episodes (ecliptix_internal) that ended by the start of the run',
    period: 'expiry',
  },
];

/** Retention overrides (else the database's settings rows), batching and interruption. */
export interface CleanupOptions {
  /** Override of the database's retention_days setting. */
  retentionDays?: number;
  /** Override of the database's event_log_retention_days setting. */
  eventLogRetentionDays?: number;
  /** Override of the database's failed_attempt_retention_days setting. */
  failedAttemptRetentionDays?: number;
  /** Override of the database's limit_guard_retention_days setting. */
  limitGuardRetentionDays?: number;
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

/** One rule's progress, reported after each batch. */
export interface CleanupProgress {
  rule: string;
  table: string;
  action: RetentionAction;
  done: number;
  /** Rows that matched when the rule started. */
  total: number;
  elapsedMs: number;
}

/** What one rule did (or, in a dry run, would do). */
export interface RuleReport {
  /** The rule's name (RETENTION_RULES); a table can have several rules. */
  rule: string;
  table: string;
  action: RetentionAction;
  rows: string;
  /** The period the rule applies; null for the expiry rules, which compare with the clock itself. */
  retentionDays: number | null;
  /**
   * Rows older than this are affected (the database clock at the start minus
   * the retention period); for the expiry rules, rows whose expires_at is at
   * or before it (the clock at the start).
   */
  cutoff: string;
  /** Rows that matched when the rule started. */
  matched: number;
  /** Rows expired, soft-deleted or deleted (dry run: 0). */
  affected: number;
  batches: number;
  /** Rows that still match at the end: held locked by live traffic when their batch ran (run again). */
  remaining: number;
  durationMs: number;
}

/** What a clean-up run did, per rule and in total, and the retention periods it used. */
export interface CleanupReport {
  dryRun: boolean;
  interrupted: boolean;
  batchSize: number;
  retentionDays: number;
  eventLogRetentionDays: number;
  failedAttemptRetentionDays: number;
  limitGuardRetentionDays: number;
  rules: RuleReport[];
  totalAffected: number;
  durationMs: number;
}

/** Rows per batch (one transaction each) unless told otherwise. */
export const DEFAULT_BATCH_SIZE = 5000;
const MAX_BATCH_SIZE = 100_000;
const DEFAULT_BATCH_LOCK_TIMEOUT_MS = 10_000;
/** A fixed key (first 8 bytes of sha256("ecliptix-persistor:cleanup")): one clean-up at a time per database. */
export const CLEANUP_LOCK_KEY = '8543687813757298915';

interface BatchRow {
  n: number;
  last_at?: string | null;
  last_id?: number | null;
  /** Slicing rules: whether the walk has more rows after this batch's slice. */
  more?: boolean;
}

/** The periods and the instants of one run (sql/operations/cleanup/retention.sql). */
export interface RetentionRow {
  retention_days: number;
  event_log_retention_days: number;
  failed_attempt_retention_days: number;
  limit_guard_retention_days: number;
  /** The database clock at the start. */
  now: string;
  cutoff: string;
  event_log_cutoff: string;
  failed_login_cutoff: string;
  failed_membership_cutoff: string;
  /** On the server's clock (pg_catalog.now()), which limit guards are stamped with. */
  limit_guard_cutoff: string;
}

/** The instant a rule compares with, and the period behind it. */
export function ruleCutoff(rule: RetentionRule, retention: RetentionRow): { cutoff: string; retentionDays: number | null } {
  switch (rule.period) {
    case 'expiry':
      return { cutoff: retention.now, retentionDays: null };
    case 'event-log':
      return { cutoff: retention.event_log_cutoff, retentionDays: retention.event_log_retention_days };
    case 'limit-guards':
      return { cutoff: retention.limit_guard_cutoff, retentionDays: retention.limit_guard_retention_days };
    case 'failed-attempts':
      return {
        cutoff: rule.cutoff === 'failed-membership' ? retention.failed_membership_cutoff : retention.failed_login_cutoff,
        retentionDays: retention.failed_attempt_retention_days,
      };
    default:
      return { cutoff: retention.cutoff, retentionDays: retention.retention_days };
  }
}

/** The parameters of a rule's batch statement: the cut-off, the batch size, and for a keyset walk where it goes on from. */
export function batchParams(
  rule: RetentionRule,
  cutoff: string,
  batchSize: number,
  cursor: readonly (string | number)[] = rule.keyset ?? [],
): (string | number)[] {
  return [cutoff, batchSize, ...cursor];
}

/** The parameters of a rule's count statement; `expiredAt` is the instant of the expiry rules in a dry run, '-infinity' after them. */
function countParams(rule: RetentionRule, cutoff: string, expiredAt: string): string[] {
  return rule.countsAfterExpiry ? [cutoff, expiredAt] : [cutoff];
}

/** The bounds of a retention period, as the configuration's schema has them. */
const MIN_DAYS = retentionDaysSchema.minValue!;
const MAX_DAYS = retentionDaysSchema.maxValue!;

function assertDays(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!retentionDaysSchema.safeParse(value).success) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `${name} must be a whole number of days between ${MIN_DAYS} and ${MAX_DAYS} (got ${value})`,
    );
  }
}

/** INVALID_ARGUMENT unless every retention period, the batch size and the lock timeout are in range. */
export function validateCleanupOptions(options: CleanupOptions): void {
  assertDays('retention days', options.retentionDays);
  assertDays('event log retention days', options.eventLogRetentionDays);
  assertDays('failed attempt retention days', options.failedAttemptRetentionDays);
  assertDays('limit guard retention days', options.limitGuardRetentionDays);
  const batch = options.batchSize;
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH_SIZE)) {
    throw new PersistorError('INVALID_ARGUMENT', `batch size must be a whole number between 1 and ${MAX_BATCH_SIZE} (got ${batch})`);
  }
}

async function readRetention(db: Queryable, options: CleanupOptions): Promise<RetentionRow> {
  let row: RetentionRow;
  try {
    row = (
      await db.query<RetentionRow>(sqlFile('operations/cleanup/retention.sql'), [
        options.retentionDays ?? null,
        options.eventLogRetentionDays ?? null,
        options.failedAttemptRetentionDays ?? null,
        options.limitGuardRetentionDays ?? null,
      ])
    ).rows[0]!;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '3F000' || code === '42P01' || code === '42883') {
      throw new PersistorError(
        'VALIDATION_FAILED',
        'the memberships schema is not deployed here (run `ecliptix-persistor migrate` first)',
        { cause: error },
      );
    }
    if (code === '42704') {
      // A setting row is missing: the schema predates it (V015 added failed_attempt_retention_days), or it was deleted.
      throw new PersistorError(
        'VALIDATION_FAILED',
        `cannot read the retention settings: ${messageOf(error)} (run \`ecliptix-persistor migrate\` to bring the schema up to date)`,
        {
          cause: error,
        },
      );
    }
    throw new PersistorError('VALIDATION_FAILED', `cannot read the retention settings: ${messageOf(error)}`, { cause: error });
  }
  for (const [name, days] of [
    ['retention_days', row.retention_days],
    ['event_log_retention_days', row.event_log_retention_days],
    ['failed_attempt_retention_days', row.failed_attempt_retention_days],
    ['limit_guard_retention_days', row.limit_guard_retention_days],
  ] as const) {
    if (days < MIN_DAYS) {
      throw new PersistorError(
        'VALIDATION_FAILED',
        `the setting ${name} is ${days}: it must be at least ${MIN_DAYS} day (fix ecliptix_internal.settings, or pass a retention on the command line)`,
      );
    }
  }
  return row;
}

async function countMatching(db: Queryable, rule: RetentionRule, cutoff: string, expiredAt: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    sqlFile(`operations/cleanup/${rule.rule}-count.sql`),
    countParams(rule, cutoff, expiredAt),
  );
  return Number(rows[0]!.n);
}

/** How a report names what a rule did to its rows. */
export function actionDone(action: RetentionAction): string {
  return action === 'expire' ? 'expired' : action === 'delete' ? 'deleted' : 'soft-deleted';
}

/**
 * Applies the retention rules in short batches that skip rows live traffic holds (each batch its own transaction); safe to interrupt and run again.
 */
export async function runCleanup(db: Database, options: CleanupOptions = {}): Promise<CleanupReport> {
  validateCleanupOptions(options);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const lockTimeout = `${options.lockTimeoutMs ?? DEFAULT_BATCH_LOCK_TIMEOUT_MS}ms`;
  const started = performance.now();

  return db.withSession(async (session) => {
    const retention = await readRetention(session, options);
    const locked = (await session.query<{ acquired: boolean }>(sqlFile('persistor/try-advisory-lock.sql'), [CLEANUP_LOCK_KEY])).rows[0]
      ?.acquired;
    if (!locked) throw new PersistorError('LOCK_TIMEOUT', 'another clean-up is running on this database; try again when it has finished');
    const rules: RuleReport[] = [];
    let interrupted = false;
    try {
      for (const rule of RETENTION_RULES) {
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
        const { cutoff, retentionDays } = ruleCutoff(rule, retention);
        const ruleStarted = performance.now();
        // A dry run changes nothing, so it counts as if the expiry rules before this one had run.
        const expiredAt = options.dryRun ? retention.now : '-infinity';
        const matched = await countMatching(session, rule, cutoff, expiredAt);
        let affected = 0;
        let batches = 0;
        let cursor: readonly (string | number)[] = rule.keyset ?? [];
        if (!options.dryRun) {
          while (affected < matched) {
            if (options.signal?.aborted) {
              interrupted = true;
              break;
            }
            const params = batchParams(rule, cutoff, batchSize, cursor);
            const batch = await session.transaction(async (tx) => {
              await tx.query(sqlFile('operations/cleanup/batch-settings.sql'), [lockTimeout]);
              return (await tx.query<BatchRow>(sqlFile(`operations/cleanup/${rule.rule}-batch.sql`), params)).rows[0]!;
            });
            const changed = Number(batch.n);
            if (rule.keyset && batch.last_at != null)
              cursor = rule.keyset.length === 2 ? [batch.last_at, Number(batch.last_id)] : [batch.last_at];
            batches++;
            affected += changed;
            options.onProgress?.({
              rule: rule.rule,
              table: rule.table,
              action: rule.action,
              done: affected,
              total: matched,
              elapsedMs: performance.now() - ruleStarted,
            });
            if (rule.slices ? batch.more !== true : changed === 0) break; // what is left is held locked by live traffic
          }
        }
        const remaining = options.dryRun ? matched : await countMatching(session, rule, cutoff, expiredAt);
        rules.push({
          rule: rule.rule,
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
      const what =
        code === '55P03' ? `a batch waited more than ${lockTimeout} for a table lock (is a migration running?)` : messageOf(error);
      throw new PersistorError(
        'OPERATION_FAILED',
        `clean-up stopped: ${what}; every finished batch is kept, the failed one was rolled back — run it again`,
        {
          details: rules.map((r) => `${r.table} (${r.rule}): ${r.affected} row(s) ${actionDone(r.action)}`),
          cause: error,
        },
      );
    } finally {
      await session.query(sqlFile('persistor/advisory-unlock.sql'), [CLEANUP_LOCK_KEY]).catch(() => undefined);
    }
    return {
      dryRun: options.dryRun === true,
      interrupted,
      batchSize,
      retentionDays: retention.retention_days,
      eventLogRetentionDays: retention.event_log_retention_days,
      failedAttemptRetentionDays: retention.failed_attempt_retention_days,
      limitGuardRetentionDays: retention.limit_guard_retention_days,
      rules,
      totalAffected: rules.reduce((sum, r) => sum + r.affected, 0),
      durationMs: Number((performance.now() - started).toFixed(1)),
    };
  });
}
