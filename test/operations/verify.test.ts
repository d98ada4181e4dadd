/** `verify`: the seed's five success criteria, on a healthy database and on damaged ones, without leaving anything behind. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verify } from '../../src/commands/verify.js';
import type { Database } from '../../src/db/database.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { snapshotAllTables } from '../schema/journey.js';
import { catalogSnapshot } from '../support/snapshot.js';
import { ADDED_OBJECTS, APPLICATION_ROUTINES } from '../../src/schema/manifest.js';

const passed = (report: { criteria: { number: number; passed: boolean }[] }) => report.criteria.map((c) => c.passed);

describe.each(engines)('verify on %s', (engine) => {
  let target: TestDatabase;
  let db: Database | undefined;
  const open = async () => (db = await target.open());
  const close = async () => {
    await db?.close();
    db = undefined;
  };
  beforeEach(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
  });
  afterEach(async () => {
    await close();
    await target.drop();
  });

  it('a freshly deployed database passes all five criteria, and is left exactly as it was', async () => {
    await open();
    const rowsBefore = await snapshotAllTables(db!);
    const catalogBefore = await catalogSnapshot(db!);
    const supportRoutines = (
      await db!.query<{ n: number }>(
        "SELECT count(DISTINCT proname)::int AS n FROM pg_proc WHERE pronamespace = 'ecliptix_internal'::regnamespace",
      )
    ).rows[0]!.n;

    const report = await verify({ ...target.config, db: db! });
    expect(report.criteria.map((c) => c.title)).toEqual([
      'All 36 database objects created successfully',
      'Status check shows all objects as active',
      'Core functionality tests pass',
      'No error messages in deployment log',
      'Application can connect and perform basic operations',
    ]);
    expect(passed(report), JSON.stringify(report.criteria, null, 1)).toEqual([true, true, true, true, true]);
    expect(report.passed).toBe(true);
    expect(report.drift).toEqual([]);
    expect(report.objects).toHaveLength(36);
    expect(report.objects.every((o) => o.present && o.enabled && !o.drifted)).toBe(true);
    expect(report.added.map((o) => [o.name, o.present && o.enabled && !o.drifted])).toEqual(ADDED_OBJECTS.map((o) => [o.name, true]));
    expect(report.criteria[0]!.details[1]).toBe(`beside the seed: 2/2 present (${ADDED_OBJECTS.map((o) => o.name).join(', ')})`);
    expect(report.coreChecks.checks).toHaveLength(21);
    expect(new Set(report.coreChecks.checks.map((c) => c.routine)).size).toBe(APPLICATION_ROUTINES.length);
    // the 36, the 2 beside them (ADDED_OBJECTS) and the support routines
    expect(report.criteria[1]!.details[0]).toContain(`${36 + ADDED_OBJECTS.length + supportRoutines} definitions`);

    expect(await snapshotAllTables(db!)).toEqual(rowsBefore); // the core checks were rolled back
    expect(await catalogSnapshot(db!)).toEqual(catalogBefore); // so was the rebuild for the drift check
  });

  it('names drift, a disabled trigger, a missing object and one of the wrong kind; exit 5 with one JSON document', async () => {
    await open();
    await db!.exec(`
      -- someone "fixed" a function by hand: soft-deleted phones are returned again
      CREATE OR REPLACE FUNCTION ecliptix.get_phone_number(p_phone_unique_id uuid)
      RETURNS TABLE (phone_number varchar(18), region varchar(2)) LANGUAGE sql STABLE SECURITY DEFINER
      SET search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
      AS $$ SELECT p.phone_number, p.region FROM ecliptix.phone_numbers p WHERE p.unique_id = p_phone_unique_id $$;
      CREATE INDEX ix_hand_made ON ecliptix.event_log (event_type);
      ALTER TABLE ecliptix.memberships ALTER COLUMN status SET DEFAULT 'active';
      ALTER TABLE ecliptix.login_attempts DISABLE TRIGGER trg_login_attempts_updated_at;
      DROP TRIGGER trg_app_devices_updated_at ON ecliptix.app_devices;
      DROP FUNCTION ecliptix.get_phone_number_details(uuid);
      CREATE PROCEDURE ecliptix.get_phone_number_details(p uuid) LANGUAGE sql AS $$ SELECT 1 $$;
      DROP FUNCTION ecliptix.check_code(uuid, text[], bigint);`);
    const rowsBefore = await snapshotAllTables(db!);

    // The CLI (exit 5, one JSON document) on the server; PGlite starts slowly, so there the same report comes from the API.
    let report;
    if (engine === 'postgres') {
      await close();
      const result = await runCli([...target.cliArgs, 'verify', '--json']);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('verification failed: criteria 1, 2, 3 of 5 did not pass');
      report = JSON.parse(result.stdout);
    } else {
      report = JSON.parse(JSON.stringify(await verify({ ...target.config, db: db! })));
    }
    expect(passed(report)).toEqual([false, false, false, true, true]);
    expect(report.criteria[0].details).toEqual([
      'wrong kind: get_phone_number_details is a procedure (CREATE PROCEDURE), expected function',
      'missing: trigger trg_app_devices_updated_at',
      'missing (beside the seed): procedure check_code',
    ]);
    expect(report.criteria[1].details).toEqual(
      expect.arrayContaining([
        'disabled: trigger trg_login_attempts_updated_at',
        'drift: routine get_phone_number differs from what the project ships',
        'drift: table event_log differs from what the project ships',
        'drift: table memberships differs from what the project ships',
      ]),
    );
    const drift = Object.fromEntries(report.drift.map((d: { name: string; live: string[]; shipped: string[] }) => [d.name, d]));
    expect(drift.event_log.live).toEqual(['index CREATE INDEX ix_hand_made ON ecliptix.event_log USING btree (event_type)']);
    expect(drift.memberships).toMatchObject({
      live: ["column status text not null default 'active'::text"],
      shipped: ["column status text not null default 'inactive'::text"],
    });
    expect(drift.get_phone_number.shipped.join('\n')).toContain('and not p.is_deleted');
    expect(drift.app_devices.live).toEqual([]); // the table lost its trigger
    expect(drift.app_devices.shipped[0]).toContain('trigger CREATE TRIGGER trg_app_devices_updated_at');
    expect(report.coreChecks.checks.find((c: { passed: boolean }) => !c.passed)).toMatchObject({
      routine: 'get_phone_number_details',
      detail: expect.stringContaining('error:'),
    });

    if (engine === 'postgres') {
      // The human report (the same report; one engine is enough, PGlite starts slowly).
      const human = await runCli([...target.cliArgs, 'verify']);
      expect(human.code).toBe(5);
      expect(human.stdout).toMatch(/PASS {2}4\. No error messages in deployment log/);
      expect(human.stdout).toMatch(/FAIL {2}2\. Status check shows all objects as active/);
      expect(human.stdout).toContain('memberships live:    column status text not null default');
      expect(human.stdout).toContain('3 of 5 success criteria failed');
      await open();
    }
    expect(await snapshotAllTables(db!)).toEqual(rowsBefore);
  });

  it('a failing core check is named and its partial work rolled back; criterion 4 reads the journal', async () => {
    await open();
    await db!.exec(`
      CREATE OR REPLACE FUNCTION ecliptix.login_membership(p_phone_number varchar)
      RETURNS TABLE (outcome text, membership_unique_id uuid, status text, secure_key bytea, retry_after_seconds int)
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
      AS $$ BEGIN RETURN QUERY SELECT 'membership_not_found'::text, NULL::uuid, NULL::text, NULL::bytea, NULL::int; END $$;`);
    const rowsBefore = await snapshotAllTables(db!);

    const report = await verify({ ...target.config, db: db! });
    expect(passed(report)).toEqual([true, false, false, true, true]);
    expect(report.criteria[2]!.details).toEqual(['log in (login_membership): expected outcome success, got membership_not_found']);
    const steps = report.coreChecks.checks;
    expect(steps.slice(0, 13).every((c) => c.passed)).toBe(true);
    expect(steps.slice(14).every((c) => !c.passed && c.detail === 'not run (an earlier check failed)')).toBe(true);

    expect(await snapshotAllTables(db!)).toEqual(rowsBefore); // device, phone, flow, OTP and membership of the run are gone

    // Criterion 4 reads the journal: a pending (here: forgotten) migration and an edited one.
    await db!.exec(`
      DELETE FROM persistor.schema_history WHERE script = 'procedures/R__login_membership.sql';
      UPDATE persistor.schema_history SET checksum = 'edited' WHERE version = '2';`);
    const journal = await verify({ ...target.config, db: db! });
    expect(passed(journal)).toEqual([true, false, false, false, true]);
    expect(journal.criteria[3]!.details).toEqual([
      'pending: procedures/R__login_membership.sql',
      expect.stringMatching(/^tables\/V002__app_devices\.sql: edited after it was applied/),
    ]);
  });

  it('criterion 5 checks the application role: privileges, and the basic operations run as it', async () => {
    await open();
    await db!.exec('CREATE ROLE persistor_verify_app NOLOGIN');
    try {
      const denied = await verify({ ...target.config, db: db!, appRole: 'persistor_verify_app' });
      expect(passed(denied)).toEqual([true, true, true, true, false]);
      expect(denied.criteria[4]!.details).toEqual([
        'role persistor_verify_app lacks USAGE on schema ecliptix (GRANT USAGE ON SCHEMA ecliptix TO persistor_verify_app)',
        expect.stringMatching(
          /^role persistor_verify_app may not EXECUTE check_code, create_membership, .*verify_phone_for_secret_key_recovery \(GRANT EXECUTE ON ALL FUNCTIONS/,
        ),
        expect.stringMatching(/^basic operations as persistor_verify_app failed: permission denied for schema ecliptix/),
      ]);

      await db!.exec(
        'GRANT USAGE ON SCHEMA ecliptix TO persistor_verify_app; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ecliptix TO persistor_verify_app;',
      );
      const granted = await verify({ ...target.config, db: db!, appRole: 'persistor_verify_app' });
      expect(granted.passed).toBe(true);
      expect(granted.criteria[4]!.details).toContain('registered a device and looked up a phone as persistor_verify_app (rolled back)');

      const unknown = await verify({ ...target.config, db: db!, appRole: 'no_such_role' });
      expect(unknown.criteria[4]).toMatchObject({ passed: false, details: ['role no_such_role does not exist'] });
    } finally {
      // Roles belong to the whole server: remove it (the database itself is dropped after the test).
      await db!.exec('DROP OWNED BY persistor_verify_app; DROP ROLE persistor_verify_app');
    }
  });
});

describe.each(engines)('verify on an undeployed %s database', (engine) => {
  it('fails criteria 1 to 5 with reasons, and creates nothing', async () => {
    const target = await createTestDatabase(engine);
    try {
      const db = await target.open();
      const before = await catalogSnapshot(db);
      const report = await verify({ ...target.config, db });
      expect(passed(report)).toEqual([false, false, false, false, false]);
      expect(report.criteria[0]!.details).toHaveLength(36 + ADDED_OBJECTS.length);
      expect(report.criteria[3]!.details).toEqual([
        'no migration is recorded as applied: deploy with `ecliptix-persistor migrate` (or the `sql` script)',
      ]);
      expect(report.criteria[4]!.details).toEqual(['schema ecliptix does not exist']);
      expect(await catalogSnapshot(db)).toEqual(before);
      await db.close();
    } finally {
      await target.drop();
    }
  });
});

describe('verify: bad input', () => {
  it('an empty --app-role is exit 2; an unreachable server is exit 3', async () => {
    const empty = await runCli(['verify', '--app-role', '', '--data-dir', '/nonexistent/never-opened']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--app-role must name a role');
    const unreachable = await runCli(['verify', '-s', 'postgres://nobody@127.0.0.1:1/memberships', '--connect-timeout', '2000', '--json']);
    expect(unreachable.code).toBe(3);
    expect(JSON.parse(unreachable.stdout).error.code).toBe('CONNECTION_FAILED');
  });
});
