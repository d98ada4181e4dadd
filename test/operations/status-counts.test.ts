/**
 * `status`'s row counts (issue 14): a small table counted exactly, a large
 * one given as the planner's estimate and marked as one (its soft-deleted
 * rows too), `exact` / `--exact` counting every table, a table never
 * analysed counted rather than reported empty, the marks in `--json`, the
 * human output and a cluster's totals; and the last 24 hours' activity read
 * with index range scans, counting what it always counted.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterStatus } from '../../src/commands/cluster-status.js';
import { status } from '../../src/commands/status.js';
import type { Queryable } from '../../src/db/database.js';
import type { DataSummary, TableCount } from '../../src/operations/data-summary.js';
import { sqlFile } from '../../src/sql-files.js';
import { deployedTestCluster, withDb, type TestCluster } from '../cluster/support.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, freshDatabaseEach, withOpenDatabase } from '../support/databases.js';
import { planNodes, type PlanNode } from '../support/plans.js';
import { signUp } from './support.js';

const byTable = (data: DataSummary | undefined): Record<string, TableCount> => Object.fromEntries(data!.tables.map((t) => [t.table, t]));

/** `n` devices, every tenth soft-deleted. */
const addDevices = (db: Queryable, n: number) =>
  db.query(
    `INSERT INTO ecliptix.app_devices (app_instance_id, device_id, is_deleted)
     SELECT gen_random_uuid(), gen_random_uuid(), i % 10 = 0 FROM generate_series(1, $1::int) AS i`,
    [n],
  );
const addEvents = (db: Queryable, n: number) =>
  db.query(`INSERT INTO ecliptix.event_log (event_type, message) SELECT 'test', 'event ' || i FROM generate_series(1, $1::int) AS i`, [n]);

/** `actual` is within `margin` (a fraction) of `truth`. */
function near(actual: number | null, truth: number, margin: number): boolean {
  return actual !== null && Math.abs(actual - truth) <= truth * margin;
}

describe.each(engines)('status row counts on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it('counts small tables exactly; from the threshold on, the planner estimates a table (and its soft-deleted rows), marked so; exact counts every table', async () => {
    const { target, db } = fresh;
    await signUp(db, '+447700900001');
    await signUp(db, '+447700900002');
    await addDevices(db, 2000); // 200 soft-deleted; 2 more devices from the sign-ups
    await addEvents(db, 1500);
    await db.exec('ANALYZE ecliptix.app_devices; ANALYZE ecliptix.event_log; ANALYZE ecliptix.phone_number_devices');
    await addEvents(db, 100); // after the ANALYZE: the estimate does not know of them yet
    // Vacuumed, not analysed: a row estimate, but no statistics of is_deleted.
    await db.exec('VACUUM ecliptix.phone_numbers');

    // The default threshold (100,000): every table here is small, so counted.
    const counted = await status({ ...target.config, db });
    expect(counted.data!.estimateThreshold).toBe(100_000);
    expect(counted.data!.tables.filter((t) => t.estimated || t.softDeletedEstimated)).toEqual([]);
    expect(byTable(counted.data).app_devices).toEqual({
      table: 'app_devices',
      rows: 2002,
      estimated: false,
      softDeleted: 200,
      softDeletedEstimated: false,
    });
    expect(byTable(counted.data).event_log).toMatchObject({ rows: 1600, estimated: false, softDeleted: 0 });

    // Threshold 1000: the two large tables are estimated, within a sane margin of the truth.
    const low = await status({ ...target.config, db, exactCountThreshold: 1000 });
    expect(low.data!.estimateThreshold).toBe(1000);
    const t = byTable(low.data);
    expect(t.app_devices).toMatchObject({ estimated: true, softDeletedEstimated: true });
    expect(near(t.app_devices!.rows, 2002, 0.1), `app_devices ~${t.app_devices!.rows}`).toBe(true);
    expect(near(t.app_devices!.softDeleted, 200, 0.25), `soft-deleted ~${t.app_devices!.softDeleted}`).toBe(true);
    expect(t.event_log).toMatchObject({ estimated: true, softDeleted: 0, softDeletedEstimated: false });
    expect(near(t.event_log!.rows, 1600, 0.1), `event_log ~${t.event_log!.rows}`).toBe(true);
    // The others, analysed or not, are below the threshold: counted.
    expect(t.phone_number_devices).toMatchObject({ rows: 2, estimated: false, softDeleted: 0, softDeletedEstimated: false });
    expect(low.data!.tables.filter((x) => x.estimated).map((x) => x.table)).toEqual(['app_devices', 'event_log']);

    // Threshold 1: every table the planner knows of with a row or more is estimated. phone_numbers was
    // vacuumed, never analysed: its soft-deleted rows are unknown (null), not 0.
    const all = byTable((await status({ ...target.config, db, exactCountThreshold: 1 })).data);
    expect(all.phone_number_devices).toMatchObject({ rows: 2, estimated: true, softDeleted: 0, softDeletedEstimated: true });
    expect(all.phone_numbers).toMatchObject({ rows: 2, estimated: true, softDeleted: null, softDeletedEstimated: true });

    // exact: every table counted, whatever the threshold.
    const exact = await status({ ...target.config, db, exact: true, exactCountThreshold: 1 });
    expect(exact.data!.estimateThreshold).toBeNull();
    expect(exact.data!.tables.filter((x) => x.estimated || x.softDeletedEstimated)).toEqual([]);
    const e = byTable(exact.data);
    expect([e.app_devices!.rows, e.app_devices!.softDeleted, e.event_log!.rows, e.phone_numbers!.rows]).toEqual([2002, 200, 1600, 2]);

    await expect(status({ ...target.config, db, exactCountThreshold: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('counts a large table the planner has no estimate for (never analysed, no statistics) instead of reporting it empty', async () => {
    const { target, db } = fresh;
    await addEvents(db, 40); // under autovacuum's thresholds: nothing analyses it behind the test's back
    const planner = async () =>
      (
        await db.query<{ reltuples: number; live: string }>(
          "SELECT reltuples::float8 AS reltuples, pg_stat_get_live_tuples('ecliptix.event_log'::regclass) AS live FROM pg_class WHERE oid = 'ecliptix.event_log'::regclass",
        )
      ).rows[0]!;
    expect((await planner()).reltuples).toBe(-1);
    if (engine === 'postgres') {
      // The server's statistics count the inserted rows (once the inserting session reports them, within
      // a second or so): that is the estimate while reltuples is unknown.
      await expect.poll(async () => Number((await planner()).live), { timeout: 10_000 }).toBe(40);
      const live = byTable((await status({ ...target.config, db, exactCountThreshold: 10 })).data).event_log;
      expect(live).toMatchObject({ rows: 40, estimated: true });
      await db.query("SELECT pg_stat_reset_single_table_counters('ecliptix.event_log'::regclass)");
    }
    // No reltuples and no live-row statistics (PGlite keeps none until an ANALYZE; on the server, reset): counted.
    expect(Number((await planner()).live)).toBe(0);
    const report = await status({ ...target.config, db, exactCountThreshold: 10 });
    expect(byTable(report.data).event_log).toEqual({
      table: 'event_log',
      rows: 40,
      estimated: false,
      softDeleted: 0,
      softDeletedEstimated: false,
    });
  });
});

describe.each(engines)('status --json, --exact and the human output on %s, with 120,000 events', (engine) => {
  it('marks the estimate in JSON and in the table, says how to count, and --exact counts', async () => {
    const target = await createTestDatabase(engine, { withSchema: true });
    try {
      await withOpenDatabase(target, async (db) => {
        await addEvents(db, 120_000);
        await db.exec('ANALYZE ecliptix.event_log');
      });
      const json = await runCli([...target.cliArgs, 'status', '--json']);
      expect(json.stderr).toBe('');
      expect(json.code).toBe(0);
      const data = (JSON.parse(json.stdout) as { data: DataSummary }).data;
      expect(data.estimateThreshold).toBe(100_000);
      const events = byTable(data).event_log!;
      expect(events).toMatchObject({ estimated: true, softDeleted: 0, softDeletedEstimated: false });
      expect(near(events.rows, 120_000, 0.05), `event_log ~${events.rows}`).toBe(true);
      expect(data.tables.filter((t) => t.estimated).map((t) => t.table)).toEqual(['event_log']);

      const human = await runCli([...target.cliArgs, 'status']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/event_log\s+~1[12]\d,\d{3} \(estimate\)\s+-/);
      expect(human.stdout).toMatch(/app_devices\s+0\s+0\s*\n/);
      expect(human.stdout).toContain("~ the planner's estimate for tables of 100,000 rows or more");
      expect(human.stdout).toContain('`status --exact` counts every row');

      const exactJson = await runCli([...target.cliArgs, 'status', '--exact', '--json']);
      expect(exactJson.code).toBe(0);
      const exact = (JSON.parse(exactJson.stdout) as { data: DataSummary }).data;
      expect(exact.estimateThreshold).toBeNull();
      expect(byTable(exact).event_log).toEqual({
        table: 'event_log',
        rows: 120_000,
        estimated: false,
        softDeleted: 0,
        softDeletedEstimated: false,
      });
      const exactHuman = await runCli([...target.cliArgs, 'status', '--exact']);
      expect(exactHuman.stdout).toMatch(/event_log\s+120000\s+-/);
      expect(exactHuman.stdout).not.toContain('estimate');
    } finally {
      await target.drop();
    }
  });
});

describe('status on a cluster: a total that includes an estimate is marked estimated', () => {
  let cluster: TestCluster;
  let dir: string;

  beforeAll(async () => {
    ({ cluster } = await deployedTestCluster(2, { fromSchemaTemplate: true }));
    dir = mkdtempSync(join(tmpdir(), 'persistor-status-counts-'));
    writeFileSync(join(dir, 'ecliptix-persistor.config.json'), JSON.stringify({ cluster: cluster.config, lockTimeoutMs: 30_000 }));
    // Partition 0: 100,500 events, analysed (estimated by default); partition 1: 7 (counted).
    await withDb(cluster.openPartition(0), async (db) => {
      await addEvents(db, 100_500);
      await db.exec('ANALYZE ecliptix.event_log');
    });
    await withDb(cluster.openPartition(1), (db) => addEvents(db, 7));
  });
  afterAll(async () => {
    await cluster?.drop();
  });

  it('sums the partitions, marks the table and the total estimated, and exact counts them', async () => {
    const report = await clusterStatus({ cluster: cluster.config, lockTimeoutMs: 30_000 });
    const events = report.total.rows.find((r) => r.table === 'event_log')!;
    expect(events.estimated).toBe(true);
    expect(near(events.rows, 100_507, 0.05), `event_log ~${events.rows}`).toBe(true);
    expect(report.total.estimated).toBe(true);
    expect(report.total.rows.filter((r) => r.estimated).map((r) => r.table)).toEqual(['event_log']);

    const exact = await clusterStatus({ cluster: cluster.config, lockTimeoutMs: 30_000, exact: true });
    expect(exact.total.estimated).toBe(false);
    expect(exact.total.rows.find((r) => r.table === 'event_log')).toMatchObject({ rows: 100_507, estimated: false });
    expect(exact.total.totalRows).toBe(100_507);

    const human = await runCli(['status'], { cwd: dir, timeoutMs: 120_000 });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/partition 0 \(.*\): .*; ~\d{3},\d{3} \(estimate\) rows/);
    expect(human.stdout).toMatch(/partition 1 \(.*\): .*; 7 rows/);
    expect(human.stdout).toMatch(/total: .*, ~\d{3},\d{3} \(estimate\) rows — cluster up to date/);
    expect(human.stdout).toMatch(/event_log\s+~\d{3},\d{3} \(estimate\)\s+-/);
    const exactHuman = await runCli(['status', '--exact'], { cwd: dir, timeoutMs: 120_000 });
    expect(exactHuman.stdout).toContain('100507 rows — cluster up to date');
  });
});

describe('the activity of the last 24 hours on the server', () => {
  const fresh = freshDatabaseEach('postgres', { withSchema: true });
  /**
   * 20,000 rows per table spread evenly over 60 days (a quarter of the flows
   * and OTPs in each status, every fourth login a failure, one in a
   * hundred a lockout), a soft-deleted one of each in the window, vacuumed and analysed:
   * a database in which the planner chooses as it would on a large one.
   */
  async function load(db: Queryable): Promise<void> {
    await db.exec(`
      SET session_replication_role = replica; -- rows consistent enough for counting; no foreign-key checks
      INSERT INTO ecliptix.verification_flows (phone_number_id, app_device_id, status, purpose, expires_at, created_at, updated_at, is_deleted)
      SELECT 1, gen_random_uuid(), (ARRAY['pending', 'verified', 'expired', 'failed'])[1 + i % 4], 'registration',
             now(), now() - make_interval(secs => i * 259.2), now(), i = 5
        FROM generate_series(1, 20000) AS i;
      INSERT INTO ecliptix.otp_records (flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at, is_deleted)
      SELECT gen_random_uuid(), 1, 'h', 's', now(), (ARRAY['pending', 'verified', 'expired', 'failed'])[1 + i % 4], false,
             now() - make_interval(secs => i * 259.2), now(), i = 5
        FROM generate_series(1, 20000) AS i;
      INSERT INTO ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, phone_number_id, attempt_time, is_deleted)
      SELECT gen_random_uuid(), gen_random_uuid(), 1, now() - make_interval(secs => i * 259.2), i = 5
        FROM generate_series(1, 20000) AS i;
      INSERT INTO ecliptix.memberships (phone_number_id, app_device_id, verification_flow_id, status, created_at, updated_at, is_deleted)
      SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'active', now() - make_interval(secs => i * 259.2), now(), i = 5
        FROM generate_series(1, 20000) AS i;
      INSERT INTO ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success, locked_until, lockout_number)
      SELECT now() - make_interval(secs => i * 259.2), '+4477009' || lpad(i::text, 5, '0'),
             CASE WHEN i % 4 = 0 THEN 'invalid_passphrase' ELSE 'success' END, i % 4 <> 0,
             CASE WHEN i % 100 = 0 THEN now() END, CASE WHEN i % 100 = 0 THEN 1 END
        FROM generate_series(1, 20000) AS i;
      RESET session_replication_role;`);
    for (const table of ['verification_flows', 'otp_records', 'failed_otp_attempts', 'memberships', 'login_attempts'])
      await db.exec(`VACUUM ANALYZE ecliptix.${table}`); // settled, as autovacuum leaves a real table
  }

  it('reads each count with an index range scan over the window', async () => {
    const { db } = fresh;
    await load(db);
    const [plan] = (
      await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${sqlFile('operations/activity.sql')}`, ['24 hours'])
    ).rows;
    const root = plan!['QUERY PLAN'][0].Plan;
    const nodes = planNodes(root);
    expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'])).toEqual([]);
    // Each count's subplan, in the query's order: the index it reads, and a condition on the window's start.
    const counts = (root.Plans ?? []).filter((p) => typeof p['Subplan Name'] === 'string' && p['Parent Relationship'] === 'SubPlan');
    const scans = counts.map((subplan) => {
      const scan = planNodes(subplan).find((n) => typeof n['Index Name'] === 'string')!;
      return [scan['Index Name'], String(scan['Index Cond'] ?? '').includes('since')];
    });
    expect(scans.slice(0, 7)).toEqual([
      ['ix_verification_flows_created', true],
      ['ix_verification_flows_created', true],
      ['ix_otp_records_created', true],
      ['ix_failed_otp_attempts_attempt_time', true],
      ['ix_memberships_created_at', true],
      ['ix_login_attempts_success_attempted', true],
      ['ix_login_attempts_failure_attempted', true],
    ]);
    // Lockouts: the failures' range, or the lockouts' own partial index (one entry per lockout), whichever is cheaper.
    expect(['ix_login_attempts_failure_attempted', 'ix_login_attempts_phone_lockouts']).toContain(scans[7]![0]);
  });

  it('counts what a full scan counts: every status, rows not soft-deleted, in the last 24 hours', async () => {
    const { db, target } = fresh;
    await load(db);
    const report = await status({ ...target.config, db });
    const truth = (
      await db.query<Record<string, string>>(
        `
        SELECT (SELECT count(*) FROM ecliptix.verification_flows WHERE created_at > s AND NOT is_deleted) AS flows,
               (SELECT count(*) FROM ecliptix.verification_flows WHERE created_at > s AND NOT is_deleted AND status = 'verified') AS verified,
               (SELECT count(*) FROM ecliptix.otp_records WHERE created_at > s AND NOT is_deleted) AS otps,
               (SELECT count(*) FROM ecliptix.failed_otp_attempts WHERE attempt_time > s AND NOT is_deleted) AS failed_checks,
               (SELECT count(*) FROM ecliptix.memberships WHERE created_at > s AND NOT is_deleted) AS memberships,
               (SELECT count(*) FROM ecliptix.login_attempts WHERE attempted_at > s) AS logins,
               (SELECT count(*) FROM ecliptix.login_attempts WHERE attempted_at > s AND is_success) AS successes,
               (SELECT count(*) FROM ecliptix.login_attempts WHERE attempted_at > s AND locked_until IS NOT NULL) AS lockouts
          FROM (SELECT $1::timestamptz AS s) w`,
        [report.data!.activity.since],
      )
    ).rows[0]!;
    // 333 rows per table in the window (one every 259.2 s); the soft-deleted one of each is not counted.
    expect(Number(truth.flows)).toBe(332);
    expect(report.data!.activity).toMatchObject({
      flowsCreated: Number(truth.flows),
      flowsVerified: Number(truth.verified),
      otpsGenerated: Number(truth.otps),
      failedOtpChecks: Number(truth.failed_checks),
      membershipsCreated: Number(truth.memberships),
      loginAttempts: Number(truth.logins),
      successfulLogins: Number(truth.successes),
      lockouts: Number(truth.lockouts),
    });
    expect(report.data!.activity).toMatchObject({ loginAttempts: 333, lockouts: 3 });
  });

  it("lists exactly the statuses the tables' CHECK constraints allow", async () => {
    const { db } = fresh;
    const activity = readFileSync(new URL('../../sql/operations/activity.sql', import.meta.url), 'utf8');
    for (const table of ['verification_flows', 'otp_records']) {
      const { rows } = await db.query<{ def: string }>(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1 AND conrelid = $2::regclass`,
        [`${table}_status_check`, `ecliptix.${table}`],
      );
      const allowed = [...rows[0]!.def.matchAll(/'(\w+)'::text/g)].map((m) => `'${m[1]}'`).join(', ');
      expect(allowed).toBe("'pending', 'verified', 'expired', 'failed'");
      expect(activity).toMatch(new RegExp(`FROM ecliptix\\.${table}\\s+WHERE status IN \\(${allowed}\\)`));
    }
  });
});
