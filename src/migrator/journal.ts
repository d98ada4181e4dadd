/** Reads and writes `persistor.schema_history`. */
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../sql-files.js';
import type { Migration } from './files.js';

export type JournalType = 'versioned' | 'repeatable' | 'baseline';

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
}

async function journalExists(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ journal_exists: boolean }>(sqlFile('persistor/journal-exists.sql'));
  return rows[0]?.journal_exists === true;
}

export async function ensureJournal(db: Queryable): Promise<void> {
  await db.exec(sqlFile('persistor/create-journal.sql'));
}

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
  }));
}

export async function recordMigration(
  db: Queryable,
  migration: Migration,
  outcome: { type?: JournalType; executionMs: number; success: boolean },
): Promise<void> {
  await db.query(sqlFile('persistor/insert-journal.sql'), [
    migration.version ?? null,
    migration.description,
    outcome.type ?? migration.type,
    migration.script,
    migration.checksum,
    Math.round(outcome.executionMs),
    outcome.success,
  ]);
}

export async function updateChecksum(db: Queryable, version: string, checksum: string): Promise<void> {
  await db.query(sqlFile('persistor/update-journal-checksum.sql'), [version, checksum]);
}

export async function deleteFailedEntries(db: Queryable): Promise<{ version: string | null; script: string }[]> {
  const { rows } = await db.query<{ version: string | null; script: string }>(sqlFile('persistor/delete-failed-journal.sql'));
  return rows;
}
