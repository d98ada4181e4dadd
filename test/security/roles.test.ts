/**
 * Least privilege: the application role can run the whole journey through the
 * routines but cannot read or write any table (least of all the secure keys)
 * nor create objects; the reporting role can run `status`; `migrate` keeps the
 * grants after re-creating objects. On the server through real login roles,
 * on PGlite through SET ROLE.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createMembershipsClient, type MembershipsClient } from '../../src/client/memberships-client.js';
import { generateKeyring } from '../../src/client/keyring.js';
import type { Database, Queryable } from '../../src/db/database.js';
import { APPLICATION_ROUTINES, TABLE_NAMES } from '../../src/schema/manifest.js';
import { shippedMigrationsDir } from '../../src/sql-files.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { sqlState } from '../support/sql-state.js';
import { nextUsPhone, phoneIdOf, wrongCode } from '../client/client-harness.js';

/** The journey through the client, as whatever role `db` runs as. */
async function journey(client: MembershipsClient): Promise<void> {
  const device = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() });
  const phoneNumber = nextUsPhone();
  const phone = await client.ensurePhoneNumber({ phoneNumber, appDeviceId: device.deviceId });
  const flow = await client.initiateVerificationFlow({ appDeviceId: device.deviceId, phoneId: phoneIdOf(phone), purpose: 'registration' });
  if (flow.outcome !== 'created') throw new Error(flow.outcome);
  const otp = await client.issueOtp(flow.flow.flowId);
  if (otp.outcome !== 'issued') throw new Error(otp.outcome);
  expect((await client.verifyOtp(flow.flow.flowId, wrongCode(otp.code))).outcome).toBe('invalid_code');
  expect((await client.verifyOtp(flow.flow.flowId, otp.code)).outcome).toBe('verified');
  const membership = await client.createMembership({ flowId: flow.flow.flowId, otpId: otp.otpId });
  if (membership.outcome !== 'created') throw new Error(membership.outcome);
  const key = randomBytes(32);
  expect((await client.setSecureKey({ membershipId: membership.membershipId, flowId: flow.flow.flowId, secureKey: key })).outcome).toBe(
    'updated',
  );
  expect(await client.login(phoneNumber)).toMatchObject({ outcome: 'success', secureKey: key });
  expect((await client.logLoginAttempt({ phoneNumber, outcome: 'invalid_passphrase', isSuccess: false })).outcome).toBe('logged');
  expect(await client.confirmLogin(phoneNumber)).toEqual({ outcome: 'confirmed' });
  expect((await client.verifyPhoneForSecretKeyRecovery({ phoneNumber })).outcome).toBe('eligible_for_recovery');
}

async function assertNoTableAccess(db: Queryable): Promise<void> {
  expect(await sqlState(db.query('SELECT secure_key FROM ecliptix.memberships'))).toBe('42501');
  for (const table of TABLE_NAMES) {
    // Table names come from the manifest (constants).
    expect(await sqlState(db.query(`SELECT count(*) FROM ecliptix.${table}`)), `SELECT ${table}`).toBe('42501');
    expect(await sqlState(db.query(`DELETE FROM ecliptix.${table}`)), `DELETE ${table}`).toBe('42501');
    expect(await sqlState(db.query(`UPDATE ecliptix.${table} SET created_at = created_at`)), `UPDATE ${table}`).toBe('42501');
  }
  expect(await sqlState(db.query("INSERT INTO ecliptix.event_log (event_type, message) VALUES ('x', 'y')"))).toBe('42501');
  expect(await sqlState(db.query('SELECT * FROM ecliptix_internal.settings'))).toBe('42501');
  expect(await sqlState(db.query("UPDATE ecliptix_internal.settings SET value = '1000' WHERE name = 'max_failed_logins'"))).toBe('42501');
  // The limit guards (V014) are the routines' own: no reading, resetting or taking them directly.
  expect(await sqlState(db.query('SELECT * FROM ecliptix_internal.limit_guards'))).toBe('42501');
  expect(await sqlState(db.query('DELETE FROM ecliptix_internal.limit_guards'))).toBe('42501');
  expect(await sqlState(db.query("SELECT ecliptix_internal.take_guard('login:+14155550100')"))).toBe('42501');
  expect(await sqlState(db.query('SELECT * FROM persistor.schema_history'))).toBe('42501');
  expect(await sqlState(db.query('CREATE TABLE ecliptix.intruder (id int)'))).toBe('42501');
  expect(await sqlState(db.query('CREATE TABLE public.intruder (id int)'))).toBe('42501');
  expect(await sqlState(db.query('CREATE SCHEMA intruder'))).toBe('42501');
  expect(await sqlState(db.query('CREATE FUNCTION ecliptix.login_membership(p text) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$'))).toBe(
    '42501',
  );
}

describe.each(engines)('least-privilege roles on %s', (engine) => {
  let target: TestDatabase;
  let admin: Database;
  const suffix = randomBytes(4).toString('hex');
  const names = { owner: `ecx_owner_${suffix}`, app: `ecx_app_${suffix}`, reporting: `ecx_rep_${suffix}` };
  const logins = { app: `ecx_app_login_${suffix}`, reporting: `ecx_rep_login_${suffix}` };

  beforeEach(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
    const result = await runCli([
      ...target.cliArgs,
      'roles',
      '--owner',
      names.owner,
      '--app',
      names.app,
      '--reporting',
      names.reporting,
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).roles).toEqual([
      {
        purpose: 'app',
        roleName: names.app,
        tablesWithPrivileges: 0,
        executableRoutines: APPLICATION_ROUTINES.length,
        readsSecureKey: false,
        createsInEcliptix: false,
      },
      {
        purpose: 'owner',
        roleName: names.owner,
        tablesWithPrivileges: 10,
        executableRoutines: APPLICATION_ROUTINES.length,
        readsSecureKey: true,
        createsInEcliptix: true,
      },
      {
        purpose: 'reporting',
        roleName: names.reporting,
        tablesWithPrivileges: 0,
        executableRoutines: 0,
        readsSecureKey: false,
        createsInEcliptix: false,
      },
    ]);
    admin = await target.open();
    if (engine === 'postgres') {
      await admin.exec(
        `CREATE ROLE ${logins.app} LOGIN IN ROLE ${names.app}; CREATE ROLE ${logins.reporting} LOGIN IN ROLE ${names.reporting};`,
      );
    }
  });

  afterEach(async () => {
    await admin.close();
    await target.drop();
    if (engine === 'postgres') {
      const client = new pg.Client({ connectionString: inject('adminUrl') });
      await client.connect();
      try {
        for (const role of [logins.app, logins.reporting, names.app, names.reporting, names.owner])
          await client.query(`DROP ROLE IF EXISTS ${role}`);
      } finally {
        await client.end();
      }
    }
  });

  /** Runs `work` as the role: a real login on the server, SET ROLE on PGlite's single session. */
  async function asRole<T>(purpose: 'app' | 'reporting', work: (db: Queryable) => Promise<T>): Promise<T> {
    if (engine === 'postgres') {
      const url = new URL(target.config.databaseUrl!);
      url.username = logins[purpose];
      // One connection: a test's temporary objects and settings stay in the session that runs its calls.
      const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
      // A connection terminated while idle (its database dropped with FORCE) must not be an unhandled 'error'.
      pool.on('error', () => undefined);
      try {
        return await work({
          query: async (sql, params = []) => {
            const r = await pool.query(sql, [...params]);
            return { rows: r.rows, rowCount: r.rowCount ?? 0 };
          },
          exec: async (script) => {
            await pool.query(script);
          },
        });
      } finally {
        await pool.end();
      }
    }
    await admin.exec(`SET ROLE ${names[purpose]}`);
    try {
      return await work(admin);
    } finally {
      await admin.exec('RESET ROLE');
    }
  }

  it('the application role runs the whole journey, and can read or change no table and create nothing', async () => {
    const secrets = { otpKeys: generateKeyring(), dataKeys: generateKeyring() };
    await asRole('app', async (db) => {
      await journey(createMembershipsClient({ db, secrets }));
      await assertNoTableAccess(db);
    });
  });

  it("the support functions that run in their caller's search_path are the owner's alone: neither definer nor executable by anyone else", async () => {
    // V019: helpers without a SET clause must never be SECURITY DEFINER nor executable by anyone but the owner.
    const { rows } = await admin.query<{ routine: string; definer: boolean; byPublic: boolean; byApp: boolean; byReporting: boolean }>(
      `SELECT p.oid::regprocedure::text AS routine, p.prosecdef AS definer,
              EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                       WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE') AS "byPublic",
              has_function_privilege($1, p.oid, 'EXECUTE') AS "byApp",
              has_function_privilege($2, p.oid, 'EXECUTE') AS "byReporting"
         FROM pg_proc p
        WHERE p.pronamespace = 'ecliptix_internal'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
        ORDER BY 1`,
      [names.app, names.reporting],
    );
    expect(rows.map((r) => r.routine)).toEqual(
      expect.arrayContaining(['ecliptix_internal.setting(text)', 'ecliptix_internal.take_guard(text)']),
    );
    for (const row of rows) expect(row, row.routine).toMatchObject({ definer: false, byPublic: false, byApp: false, byReporting: false });

    await asRole('app', async (db) => {
      for (const call of [
        "SELECT ecliptix_internal.setting('max_failed_logins')",
        "SELECT ecliptix_internal.setting_int_checked('max_failed_logins', '1000')",
        "SELECT ecliptix_internal.assert_not_null(1, 'p')",
      ])
        expect(await sqlState(db.query(call)), call).toBe('42501');
    });
  });

  it('the reporting role reads counts and the journal but never the secrets', async () => {
    await asRole('reporting', async (db) => {
      expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ecliptix.memberships')).rows[0]!.n).toBe(0);
      expect((await db.query('SELECT version FROM persistor.schema_history LIMIT 1')).rows).toHaveLength(1);
      expect(await sqlState(db.query('SELECT secure_key FROM ecliptix.memberships'))).toBe('42501');
      expect(await sqlState(db.query('SELECT otp_hash FROM ecliptix.otp_records'))).toBe('42501');
      expect(await sqlState(db.query('DELETE FROM ecliptix.login_attempts'))).toBe('42501');
      expect(
        await sqlState(db.query('SELECT * FROM ecliptix.register_app_device_if_not_exists(gen_random_uuid(), gen_random_uuid(), 1)')),
      ).toBe('42501');
    });
    if (engine === 'postgres') {
      const url = new URL(target.config.databaseUrl!);
      url.username = logins.reporting;
      const result = await runCli(['status', '--json', '-s', url.toString()]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report.upToDate).toBe(true);
      expect(report.schema.complete).toBe(true);
      expect(report.roles.map((r: { roleName: string }) => r.roleName).sort()).toEqual([names.app, names.owner, names.reporting].sort());
      // metrics and report read what the reporting role may: counts, the limits' refusal counts, the journal,
      // and the snapshots of a health run (the owner's, from cron), whose table that run created after the roles.
      const ran = await runCli([...target.cliArgs, 'health', '--threshold', 'connections.warn=off', '--threshold', 'connections.crit=off']);
      expect([0, 6]).toContain(ran.code);
      const scraped = await runCli(['metrics', '-s', url.toString()]);
      expect(scraped.stdout).toContain('ecliptix_health_check_level{check="invalid-indexes"} 0');
      expect(scraped.stderr).toBe('');
      expect(scraped.code).toBe(0);
      expect(scraped.stdout).toContain('ecliptix_limit_hits{period="last_24_hours",limit="failed_logins"} 0');
      // The application role reads no table: the memberships' figures fail, the rest is still written, pg_up stays 1, exit 1.
      const appUrl = new URL(target.config.databaseUrl!);
      appUrl.username = logins.app;
      const partial = await runCli(['metrics', '-s', appUrl.toString()]);
      expect(partial.code).toBe(1);
      expect(partial.stdout).toContain('pg_up 1');
      expect(partial.stdout).toContain('ecliptix_scrape_error{section="memberships"} 1');
      expect(partial.stdout).toContain('ecliptix_scrape_error{section="schema"} 1'); // nor the journal
      expect(partial.stdout).toMatch(/^pg_settings_max_connections \d+$/m);
      expect(partial.stderr).toContain('some figures are missing');
      const reported = await runCli(['report', '--format', 'json', '-s', url.toString()]);
      expect(reported.stderr).toBe('');
      expect(reported.code).toBe(0);
      expect(JSON.parse(reported.stdout).migrations.upToDate).toBe(true);
      expect(JSON.parse(reported.stdout).health).toHaveLength(1);
      // roles run again (as migrate does) keeps that grant.
      expect(
        (await runCli([...target.cliArgs, 'roles', '--owner', names.owner, '--app', names.app, '--reporting', names.reporting])).code,
      ).toBe(0);
      expect((await runCli(['report', '--format', 'json', '-s', url.toString()])).stdout).toContain('"invalid-indexes"');
    }
  });

  it('migrate keeps the grants when it re-creates a routine', async () => {
    const migrations = join(target.workDir, 'migrations');
    cpSync(shippedMigrationsDir, migrations, { recursive: true });
    const file = join(migrations, 'procedures/R__initiate_verification_flow.sql');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- changed: re-created by the next migrate\n`);
    await admin.close(); // the embedded database admits one process at a time
    const migrated = await runCli([...target.cliArgs, '--migrations', migrations, 'migrate', '--json']);
    admin = await target.open();
    expect(migrated.code).toBe(0);
    expect(JSON.parse(migrated.stdout)).toMatchObject({
      rolesReapplied: true,
      applied: [{ script: 'procedures/R__initiate_verification_flow.sql' }],
    });
    await asRole('app', async (db) => {
      const device = (
        await db.query<{ app_device_id: string }>(
          'SELECT app_device_id FROM ecliptix.register_app_device_if_not_exists(gen_random_uuid(), gen_random_uuid(), 1)',
        )
      ).rows[0]!;
      const phone = (
        await db.query<{ phone_unique_id: string }>("SELECT phone_unique_id FROM ecliptix.ensure_phone_number('+14155550199', 'US', NULL)")
      ).rows[0]!;
      const flow = await db.query<{ outcome: string }>(
        "SELECT outcome FROM ecliptix.initiate_verification_flow($1, $2, 'registration', NULL)",
        [device.app_device_id, phone.phone_unique_id],
      );
      expect(flow.rows[0]!.outcome).toBe('created');
    });
  });

  it('refuses bad role names before touching the database (exit 2)', async () => {
    for (const args of [
      ['--app', 'Robert"); DROP TABLE x;--'],
      ['--app', names.owner, '--owner', names.owner],
    ]) {
      const result = await runCli([...target.cliArgs, 'roles', ...args]);
      expect(result.code).toBe(2);
    }
  });
});
