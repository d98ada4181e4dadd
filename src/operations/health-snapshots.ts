/**
 * The snapshots of `health`: each run keeps one small dated summary (sizes,
 * row counts, each check's level and number) in persistor.health_snapshots,
 * created by the first run that may, so that every report shows the change
 * since the previous run. The newest {@link DEFAULT_KEEP_SNAPSHOTS} are kept.
 * A role that may not create or add to the table gets its report all the
 * same, saying why no snapshot was kept.
 */
import type { Database } from '../db/database.js';
import { messageOf } from '../errors.js';
import { sqlFile } from '../sql-files.js';
import type { HealthCheckName, HealthLevel } from './health-thresholds.js';

/** Snapshots kept (the newest): about three years of daily runs. */
export const DEFAULT_KEEP_SNAPSHOTS = 1000;

/** What one snapshot holds (`summary` jsonb). Only figures: no row of any table. */
export interface HealthSnapshotSummary {
  /** The summary's format. */
  format: 1;
  databaseBytes: number;
  /** Per table (`schema.table`): total bytes (with indexes and TOAST) and live rows (the statistics system's count). */
  tables: Record<string, { bytes: number; rows: number }>;
  worst: HealthLevel;
  /** Per check: its worst level and the number of its worst finding. */
  checks: Partial<Record<HealthCheckName, { level: HealthLevel | 'SKIPPED'; value: number | null }>>;
}

/** A snapshot read back. */
export interface HealthSnapshot {
  takenAt: Date;
  summary: HealthSnapshotSummary;
}

/** The newest snapshot, or undefined when there is none or this role may not read them. */
export async function previousSnapshot(db: Database): Promise<HealthSnapshot | undefined> {
  const [state] = (await db.query<{ table_exists: boolean; may_select: boolean }>(sqlFile('operations/health/snapshot-exists.sql'))).rows;
  if (!state?.table_exists || !state.may_select) return undefined;
  const [row] = (await db.query<{ taken_at: Date; summary: HealthSnapshotSummary }>(sqlFile('operations/health/snapshot-previous.sql')))
    .rows;
  if (!row || row.summary?.format !== 1) return undefined;
  return { takenAt: new Date(row.taken_at), summary: row.summary };
}

/** Whether this run's snapshot was kept, and if not, why. */
export type SnapshotOutcome = { kept: true; takenAt: Date } | { kept: false; reason: string };

/**
 * Keeps `summary` (creating the table when missing and this role may), then
 * deletes all but the newest `keep`. Never throws: a role without the right
 * is told why in the outcome.
 */
export async function keepSnapshot(db: Database, summary: HealthSnapshotSummary, keep = DEFAULT_KEEP_SNAPSHOTS): Promise<SnapshotOutcome> {
  try {
    const [state] = (
      await db.query<{ schema_exists: boolean; table_exists: boolean; may_insert: boolean; may_create: boolean }>(
        sqlFile('operations/health/snapshot-exists.sql'),
      )
    ).rows;
    if (!state?.schema_exists)
      return {
        kept: false,
        reason: 'the database has no schema persistor (it was not deployed with this tool: run `ecliptix-persistor migrate`)',
      };
    if (!state?.table_exists && !state?.may_create)
      return {
        kept: false,
        reason: 'persistor.health_snapshots does not exist and this role may not create it (run health once as the owner)',
      };
    if (state.table_exists && !state.may_insert)
      return { kept: false, reason: 'this role may not insert into persistor.health_snapshots (run health as the owner)' };
    return await db.transaction(async (tx) => {
      if (!state.table_exists) await tx.exec(sqlFile('operations/health/snapshot-create.sql'));
      const [row] = (await tx.query<{ taken_at: Date }>(sqlFile('operations/health/snapshot-insert.sql'), [JSON.stringify(summary)])).rows;
      await tx.query(sqlFile('operations/health/snapshot-prune.sql'), [keep]);
      return { kept: true as const, takenAt: new Date(row!.taken_at) };
    });
  } catch (error) {
    return { kept: false, reason: messageOf(error) };
  }
}
