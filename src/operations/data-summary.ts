/** What the memberships database holds and did lately: row counts per table and the last 24 hours' activity (for `status`). */
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../sql-files.js';

/** Rows in one table of schema ecliptix. */
export interface TableCount {
  table: string;
  rows: number;
  /** Rows marked is_deleted (tables without soft delete: 0). */
  softDeleted: number;
}

/** What happened in the last 24 hours by the database clock. */
export interface Activity {
  /** Start of the window: the database clock minus 24 hours. */
  since: Date;
  flowsCreated: number;
  flowsVerified: number;
  otpsGenerated: number;
  failedOtpChecks: number;
  membershipsCreated: number;
  loginAttempts: number;
  successfulLogins: number;
  lockouts: number;
}

/** Row counts per table and the last day's activity, as `status` shows them. */
export interface DataSummary {
  tables: TableCount[];
  activity: Activity;
}

interface ActivityRow {
  since: Date;
  flows_created: number;
  flows_verified: number;
  otps_generated: number;
  failed_otp_checks: number;
  memberships_created: number;
  login_attempts: number;
  successful_logins: number;
  lockouts: number;
}

/** Counts the rows of every table and the last 24 hours' activity (read-only). */
export async function summariseData(db: Queryable): Promise<DataSummary> {
  const counts = await db.query<{ table_name: string; total: number; soft_deleted: number }>(sqlFile('operations/row-counts.sql'));
  const a = (await db.query<ActivityRow>(sqlFile('operations/activity-24h.sql'))).rows[0]!;
  return {
    tables: counts.rows.map((r) => ({ table: r.table_name, rows: Number(r.total), softDeleted: Number(r.soft_deleted) })),
    activity: {
      since: a.since,
      flowsCreated: Number(a.flows_created),
      flowsVerified: Number(a.flows_verified),
      otpsGenerated: Number(a.otps_generated),
      failedOtpChecks: Number(a.failed_otp_checks),
      membershipsCreated: Number(a.memberships_created),
      loginAttempts: Number(a.login_attempts),
      successfulLogins: Number(a.successful_logins),
      lockouts: Number(a.lockouts),
    },
  };
}
