/**
 * `doctor`'s reads of an open database: the journal's failed entries and the
 * last errors the routines recorded in `ecliptix.event_log` — each message
 * with phone numbers and key-like strings masked, since a report is attached
 * to an issue where anyone may read it.
 */
import type { Queryable } from '../db/database.js';
import { readJournal } from '../migrator/journal.js';
import { sqlFile } from '../sql-files.js';

/** A journal row with success = false: a migration that failed part-way outside a transaction. */
export interface FailedMigration {
  /** On a cluster: the database it is in (`partition 1 (postgres://…)`). */
  database?: string;
  version: string | null;
  script: string;
  description: string;
  installedAt: Date;
  /** How many of its statements stayed applied. */
  statementsApplied?: number;
  /** Which statement failed and why. */
  failure?: string;
}

/** An error a routine recorded in `ecliptix.event_log`. */
export interface RecordedError {
  /** On a cluster: the database it is in. */
  database?: string;
  id: number;
  eventType: string;
  /** The message, phone numbers and key-like strings masked. */
  message: string;
  createdAt: Date;
}

/** How many recorded errors the report shows at most. */
const RECENT_ERRORS_LIMIT = 20;

/**
 * Text with what must not leave the database masked: a phone number (`+`
 * and 7 to 15 digits, or 10 to 15 digits without; not part of a UUID or a
 * word) keeps only its last two digits, and a long token (a hash, an encrypted key, base64 or hex of 24
 * characters or more) is replaced whole.
 *
 * @example
 * ```ts
 * maskSensitive('merged +447700900123 into …') // 'merged +**********23 into …'
 * ```
 */
export function maskSensitive(text: string): string {
  return text
    .replace(/[A-Za-z0-9+/_]{24,}={0,2}/g, (token) => (/\d/.test(token) && /[A-Za-z]/.test(token) ? '****' : token))
    .replace(
      /(?<![\w+-])\+?\d{10,15}(?![\w-])|(?<![\w+-])\+\d{7,9}(?![\w-])/g,
      (number) => `${number.slice(0, -2).replace(/\d/g, '*')}${number.slice(-2)}`,
    );
}

/** The journal's failed entries, oldest first; none when there is no journal. */
export async function readFailedMigrations(db: Queryable): Promise<FailedMigration[]> {
  return (await readJournal(db))
    .filter((entry) => !entry.success)
    .map((entry) => ({
      version: entry.version,
      script: entry.script,
      description: entry.description,
      installedAt: entry.installedAt,
      ...(entry.statementsApplied === undefined ? {} : { statementsApplied: entry.statementsApplied }),
      ...(entry.failure === undefined ? {} : { failure: maskSensitive(entry.failure) }),
    }));
}

/**
 * The last errors the routines recorded, newest first — all time, or within
 * the last `withinDays` days (what status shows); none when `ecliptix.event_log`
 * does not exist.
 */
export async function readRecordedErrors(db: Queryable, limit = RECENT_ERRORS_LIMIT, withinDays?: number): Promise<RecordedError[]> {
  const { rows: exists } = await db.query<{ event_log_exists: boolean }>(sqlFile('operations/doctor/event-log-exists.sql'));
  if (exists[0]?.event_log_exists !== true) return [];
  const [file, params] =
    withinDays === undefined
      ? ['operations/doctor/recent-errors.sql', [limit]]
      : ['operations/doctor/recent-errors-within.sql', [withinDays, limit]];
  const { rows } = await db.query<{ id: number | string; event_type: string; message: string; created_at: Date }>(sqlFile(file), params);
  return rows.map((row) => ({
    id: Number(row.id),
    eventType: row.event_type,
    message: maskSensitive(row.message),
    createdAt: row.created_at,
  }));
}
