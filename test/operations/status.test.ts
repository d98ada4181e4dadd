/** `status`: the seed's report — row counts per table and the last 24 hours' activity — next to the migration state; `--drift`. */
import { describe, expect, it } from 'vitest';
import { status } from '../../src/commands/status.js';
import { sqlFile } from '../../src/sql-files.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, freshDatabaseEach } from '../support/databases.js';
import { planNodes, type PlanNode } from '../support/plans.js';
import { signUp } from './support.js';

describe.each(engines)('status on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it('counts the rows of each table and the activity of the last 24 hours by the database clock; --drift', async () => {
    const { target, db } = fresh;
    // Two days ago (by the database clock): one user signed up.
    await db.query("UPDATE ecliptix_internal.settings SET value = '-2 days' WHERE name = 'clock_offset'");
    await signUp(db, '+447700900001');
    await db.query("UPDATE ecliptix_internal.settings SET value = '0 seconds' WHERE name = 'clock_offset'");
    // Today: two users signed up, and five failed logins on an unknown number started a lockout.
    await signUp(db, '+447700900002');
    await signUp(db, '+447700900003');
    for (let i = 0; i < 5; i++) await db.query("SELECT * FROM ecliptix.login_membership('+447700900999')");
    await db.query(
      "UPDATE ecliptix.memberships SET is_deleted = true WHERE phone_number_id = (SELECT unique_id FROM ecliptix.phone_numbers WHERE phone_number = '+447700900001')",
    );

    const report = await status({ ...target.config, db });
    expect(report.upToDate).toBe(true);
    const rows = Object.fromEntries(report.data!.tables.map((t) => [t.table, [t.rows, t.softDeleted]]));
    expect(rows).toEqual({
      app_devices: [3, 0],
      phone_numbers: [3, 0],
      phone_number_devices: [3, 0],
      verification_flows: [3, 0],
      otp_records: [3, 0],
      failed_otp_attempts: [0, 0],
      memberships: [3, 1],
      membership_attempts: [6, 0], // created + secure key set, per user
      login_attempts: [11, 0], // a key release and its confirmation per user, and the 5 failures
      event_log: [1, 0], // the lockout that the fifth failure started (V020's lockout_started event)
    });
    expect(report.data!.activity).toMatchObject({
      flowsCreated: 2,
      flowsVerified: 2,
      otpsGenerated: 2,
      failedOtpChecks: 0,
      membershipsCreated: 2,
      loginAttempts: 9,
      successfulLogins: 2, // the confirmed sign-ins (a key release is not one)
      lockouts: 1,
    });
    expect(report.drift).toBeUndefined();

    // --drift names an object edited by hand.
    await db.exec(`CREATE OR REPLACE FUNCTION ecliptix.get_phone_number(p_phone_unique_id uuid)
      RETURNS TABLE (phone_number varchar(18), region varchar(2)) LANGUAGE sql STABLE SECURITY DEFINER
      SET search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
      AS $$ SELECT p.phone_number, p.region FROM ecliptix.phone_numbers p WHERE p.unique_id = p_phone_unique_id $$`);
    const drifted = await status({ ...target.config, db, drift: true });
    expect(drifted.drift!.map((d) => `${d.kind} ${d.name}`)).toEqual(['routine get_phone_number']);
    if (engine === 'postgres') {
      const human = await runCli([...target.cliArgs, 'status', '--drift']);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('drift     routine get_phone_number: edited since deployed');
      expect(human.stdout).toMatch(/login_attempts\s+11\s+-/);
      expect(human.stdout).toContain('activity in the last 24 hours');
      expect(human.stdout).toMatch(/verification flows created {2}2 \(2 verified\)/);
      expect(human.stdout).toMatch(/lockouts {20}1/);
    }
  });
});

describe.each(engines)('the error view of status on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it("lists the journal's failed entries and the errors the routines recorded in the last 7 days, numbers masked", async () => {
    const { target, db } = fresh;
    const clean = await status({ ...target.config, db });
    expect(clean.errors).toEqual({ failedMigrations: [], recorded: [] });
    await db.query(
      `INSERT INTO persistor.schema_history (version, description, type, script, checksum, execution_ms, success, statements_applied, failure)
       VALUES ('900', 'half applied', 'versioned', 'V900__half_applied.sql', 'abc', 3, false, 1, 'statement 2 of 2: relation "x" does not exist')`,
    );
    await db.query(
      `INSERT INTO ecliptix.event_log (event_type, message, created_at) VALUES
         ('routine_error', 'ensure_phone_number failed for +447700900123: permission denied', ecliptix_internal.now() - interval '1 hour'),
         ('routine_error', 'too old to show', ecliptix_internal.now() - interval '8 days'),
         ('lockout_started', 'not an error', ecliptix_internal.now())`,
    );
    const report = await status({ ...target.config, db });
    expect(report.errors.failedMigrations).toEqual([
      expect.objectContaining({ version: '900', script: 'V900__half_applied.sql', failure: expect.stringContaining('does not exist') }),
    ]);
    expect(report.errors.recorded.map((e) => [e.eventType, e.message])).toEqual([
      ['routine_error', 'ensure_phone_number failed for +**********23: permission denied'],
    ]);
    if (engine === 'postgres') {
      const human = await runCli([...target.cliArgs, 'status']);
      expect(human.stdout).toContain('failed migration  V900__half_applied.sql');
      expect(human.stdout).toContain('routine_error');
      expect(human.stdout).not.toContain('+447700900123');
      expect(human.stdout).not.toContain('too old to show');
    }
  });
});

describe('status of an undeployed database', () => {
  it('has no row counts or activity to show', async () => {
    const target = await createTestDatabase('postgres');
    try {
      const report = await status({ ...target.config });
      expect(report.schema!.complete).toBe(false);
      expect(report.data).toBeUndefined();
    } finally {
      await target.drop();
    }
  });
});

describe('the activity query on a large table', () => {
  it('reads the database clock once, not once per row scanned', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    const db = await target.open();
    try {
      const [plan] = (
        await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON, VERBOSE) ${sqlFile('operations/activity.sql')}`, [
          '24 hours',
        ])
      ).rows;
      const conditions: string[] = [];
      for (const node of planNodes(plan!['QUERY PLAN'][0].Plan)) {
        for (const key of ['Filter', 'Index Cond', 'Recheck Cond']) if (typeof node[key] === 'string') conditions.push(node[key] as string);
      }
      expect(conditions.length).toBeGreaterThanOrEqual(8);
      expect(conditions.filter((c) => c.includes('now()'))).toEqual([]);
    } finally {
      await db.close();
      await target.drop();
    }
  });
});
