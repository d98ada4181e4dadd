/**
 * Reads and writes the migrator's journal, `persistor.schema_history`
 * (sql/persistor/create-journal.sql): one row per migration applied,
 * baselined, or failed without a transaction.
 */
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../sql-files.js';
import type { Migration } from './files.js';

/** What a journal row records: a migration run by this tool, or one adopted as already applied (`baseline`). */
export type JournalType = 'versioned' | 'repeatable' | 'baseline';

/**
 * One row of the journal.
 *
 * @example
 * ```ts
 * const failed = (await readJournal(db)).filter((entry) => !entry.success);
 * ```
 */
export interface JournalEntry {
  installedRank: number;
  version: string | null;
  description: string;
  type: JournalType;
  script: string;
  checksum: string;
  installedBy: string;
  installedAt: Date;
  executionMs: number;
  success: boolean;
  /** A no-transaction migration (run statement by statement): how many of its statements succeeded. */
  statementsApplied?: number;
  /** A failed no-transaction migration: which statement failed and why. */
  failure?: string;
}

interface JournalRow {
  installed_rank: number;
  version: string | null;
  description: string;
  type: JournalType;
  script: string;
  checksum: string;
  installed_by: string;
  installed_at: Date;
  execution_ms: number;
  success: boolean;
  statements_applied: number | null;
  failure: string | null;
}

/** What a run of one migration came to, for its journal row. */
interface MigrationOutcome {
  /** Default: the migration's own type. */
  type?: JournalType;
  executionMs: number;
  success: boolean;
  /** No-transaction migrations: how many statements succeeded. */
  statementsApplied?: number;
  /** A failed no-transaction migration: the statement that failed and why. */
  failure?: string;
}

async function journalExists(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ journal_exists: boolean }>(sqlFile('persistor/journal-exists.sql'));
  return rows[0]?.journal_exists === true;
}

/**
 * Creates the journal (and its schema `persistor`) unless it exists, and
 * brings one made by an earlier version up to date.
 *
 * @example
 * ```ts
 * await db.transaction((tx) => ensureJournal(tx));
 * ```
 */
export async function ensureJournal(db: Queryable): Promise<void> {
  await db.exec(sqlFile('persistor/create-journal.sql'));
}

/**
 * Every journal row, oldest first; none when the journal does not exist
 * (it never creates it, so `status` stays read-only).
 *
 * @example
 * ```ts
 * const applied = (await readJournal(db)).filter((entry) => entry.success);
 * ```
 */
export async function readJournal(db: Queryable): Promise<JournalEntry[]> {
  if (!(await journalExists(db))) return [];
  const { rows } = await db.query<JournalRow>(sqlFile('persistor/select-journal.sql'));
  return rows.map((row) => ({
    installedRank: row.installed_rank,
    version: row.version,
    description: row.description,
    type: row.type,
    script: row.script,
    checksum: row.checksum,
    installedBy: row.installed_by,
    installedAt: row.installed_at,
    executionMs: row.execution_ms,
    success: row.success,
    ...(row.statements_applied === null ? {} : { statementsApplied: row.statements_applied }),
    ...(row.failure === null ? {} : { failure: row.failure }),
  }));
}

/**
 * Adds the journal row of one migration run.
 *
 * @example
 * ```ts
 * await recordMigration(tx, migration, { executionMs: 12, success: true });
 * ```
 */
export async function recordMigration(db: Queryable, migration: Migration, outcome: MigrationOutcome): Promise<void> {
  await db.query(sqlFile('persistor/insert-journal.sql'), [
    migration.version ?? null,
    migration.description,
    outcome.type ?? migration.type,
    migration.script,
    migration.checksum,
    Math.round(outcome.executionMs),
    outcome.success,
    outcome.statementsApplied ?? null,
    outcome.failure ?? null,
  ]);
}

/**
 * `repair`: accepts an edited versioned migration by recording the file's new checksum.
 *
 * @example
 * ```ts
 * await updateChecksum(tx, '2', migration.checksum);
 * ```
 */
export async function updateChecksum(db: Queryable, version: string, checksum: string): Promise<void> {
  await db.query(sqlFile('persistor/update-journal-checksum.sql'), [version, checksum]);
}

/**
 * `repair`: forgets failed no-transaction runs, so that `migrate` runs those migrations again; returns what it removed.
 *
 * @example
 * ```ts
 * const removed = await deleteFailedEntries(tx); // [{ version: '4', script: 'V4__index.sql' }]
 * ```
 */
export async function deleteFailedEntries(db: Queryable): Promise<{ version: string | null; script: string }[]> {
  const { rows } = await db.query<{ version: string | null; script: string }>(sqlFile('persistor/delete-failed-journal.sql'));
  return rows;
}
