/**
 * The snapshots of `audit`: each review keeps one small dated summary (the
 * period, the counts, each limit's refused calls — figures only, no number)
 * in persistor.audit_snapshots, created by the first review that may, so that
 * every review shows the change since the previous one.
 */
import type { Database } from '../db/database.js';
import { messageOf } from '../errors.js';
import { sqlFile } from '../sql-files.js';
import type { AuditReport } from './audit.js';

/** Reviews kept (the newest): about twenty years of weekly ones. */
const DEFAULT_KEEP_AUDIT_SNAPSHOTS = 1000;

/** What one snapshot holds (`summary` jsonb). */
export interface AuditSnapshotSummary {
  format: 1;
  days: number;
  counts: AuditReport['counts'];
  /** Refused calls per limit. */
  hits: Record<string, number>;
  repeatLocked: number;
  suspiciousPrefixes: number;
}

export interface AuditSnapshot {
  takenAt: Date;
  summary: AuditSnapshotSummary;
}

/** Whether this review's snapshot was kept, and if not, why. */
export type AuditSnapshotOutcome = { kept: true; takenAt: Date } | { kept: false; reason: string };

interface State {
  schema_exists: boolean;
  table_exists: boolean;
  may_insert: boolean;
  may_select: boolean;
  may_create: boolean;
}

export function auditSummary(report: AuditReport): AuditSnapshotSummary {
  return {
    format: 1,
    days: report.days,
    counts: report.counts,
    hits: Object.fromEntries(report.limits.map((l) => [l.limit, l.hits])),
    repeatLocked: report.repeatLocked.length,
    suspiciousPrefixes: report.suspiciousPrefixes.length,
  };
}

/** The newest snapshot, or undefined when there is none or this role may not read them. */
export async function previousAuditSnapshot(db: Database): Promise<AuditSnapshot | undefined> {
  const [state] = (await db.query<State>(sqlFile('operations/audit/snapshot-exists.sql'))).rows;
  if (!state?.table_exists || !state.may_select) return undefined;
  const [row] = (await db.query<{ taken_at: Date; summary: AuditSnapshotSummary }>(sqlFile('operations/audit/snapshot-previous.sql'))).rows;
  if (!row || row.summary?.format !== 1) return undefined;
  return { takenAt: new Date(row.taken_at), summary: row.summary };
}

/** Keeps `summary` (creating the table when missing and this role may) and the newest `keep`; never throws. */
export async function keepAuditSnapshot(
  db: Database,
  summary: AuditSnapshotSummary,
  keep = DEFAULT_KEEP_AUDIT_SNAPSHOTS,
): Promise<AuditSnapshotOutcome> {
  try {
    const [state] = (await db.query<State>(sqlFile('operations/audit/snapshot-exists.sql'))).rows;
    if (!state?.schema_exists) return { kept: false, reason: 'this database has no persistor schema (the tool did not deploy it)' };
    if (!state.table_exists && !state.may_create)
      return {
        kept: false,
        reason: 'persistor.audit_snapshots does not exist and this role may not create it (run audit once as the owner)',
      };
    if (state.table_exists && !state.may_insert)
      return { kept: false, reason: 'this role may not insert into persistor.audit_snapshots (run audit as the owner)' };
    return await db.transaction(async (tx) => {
      if (!state.table_exists) await tx.exec(sqlFile('operations/audit/snapshot-create.sql'));
      const [row] = (await tx.query<{ taken_at: Date }>(sqlFile('operations/audit/snapshot-insert.sql'), [JSON.stringify(summary), keep]))
        .rows;
      return { kept: true as const, takenAt: new Date(row!.taken_at) };
    });
  } catch (error) {
    return { kept: false, reason: messageOf(error) };
  }
}
