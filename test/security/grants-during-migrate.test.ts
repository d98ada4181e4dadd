/**
 * A routine that a migration re-creates (DROP + CREATE, or a new signature)
 * belongs to the migrating user and is executable by nobody else until the
 * least-privilege roles are applied again. The migrator re-applies them inside
 * the migration's own transaction, so the application never sees it that way:
 * on the server, several connections of a login user keep calling routines
 * while `migrate` drops and re-creates one of them, deploy after deploy, and
 * not one call is refused (42501); a later migration that fails leaves the
 * earlier one's routine owned and granted. On both engines (PGlite through
 * SET ROLE): owner and EXECUTE after a re-created routine, a new one, a
 * no-transaction migration and a dry run, and what `migrate --json` says.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Database, Queryable } from '../../src/db/database.js';
import { applyRoles, type RoleNames } from '../../src/schema/roles.js';
import { shippedMigrationsDir } from '../../src/sql-files.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { fixturesDir } from '../support/fixtures.js';

const RECREATED_FILE = 'functions/R__get_phone_number.sql';
const RECREATED = 'ecliptix.get_phone_number(uuid)';
const NEW_ROUTINE = 'ecliptix.grants_probe(int)';
const CALL_RECREATED = 'SELECT * FROM ecliptix.get_phone_number(gen_random_uuid())';
const CALL_REGISTER = 'SELECT outcome FROM ecliptix.register_app_device_if_not_exists(gen_random_uuid(), gen_random_uuid(), 1)';

interface TestRoles extends RoleNames {
  /** A LOGIN member of the application role (server only). */
  login: string;
  /** A LOGIN member of the owner role that runs migrate, not a superuser (server only). */
  deployer: string;
}

function uniqueRoles(): TestRoles {
  const suffix = randomBytes(4).toString('hex');
  return {
    owner: `gdm_owner_${suffix}`,
    app: `gdm_app_${suffix}`,
    reporting: `gdm_rep_${suffix}`,
    login: `gdm_login_${suffix}`,
    deployer: `gdm_deployer_${suffix}`,
  };
}

/**
 * The shipped migrations in `dir`, except that get_phone_number is dropped
 * and created again with its shipped body (`marker` makes each deploy's file
 * differ, so it runs again); plus fixture sets from test/fixtures/grants-during-migrate.
 */
function deployment(dir: string, marker: string, options: { noTransaction?: boolean; fixtures?: string[] } = {}): string {
  cpSync(shippedMigrationsDir, dir, { recursive: true });
  const body = readFileSync(join(shippedMigrationsDir, RECREATED_FILE), 'utf8');
  const header = options.noTransaction ? '-- persistor:no-transaction\n' : '';
  writeFileSync(join(dir, RECREATED_FILE), `${header}drop function if exists ${RECREATED};\n\n${body}\n-- ${marker}\n`);
  for (const set of options.fixtures ?? []) cpSync(join(fixturesDir, 'grants-during-migrate', set), dir, { recursive: true });
  return dir;
}

async function routine(db: Queryable, signature: string): Promise<{ oid: string; owner: string } | undefined> {
  const { rows } = await db.query<{ oid: string; owner: string }>(
    'SELECT p.oid::text AS oid, pg_get_userbyid(p.proowner)::text AS owner FROM pg_proc p WHERE p.oid = to_regprocedure($1)',
    [signature],
  );
  return rows[0];
}

/** Runs `sql` as `role` (SET LOCAL ROLE, rolled back): undefined when it succeeds, else its SQLSTATE. */
async function sqlStateAs(db: Database, role: string, sql: string): Promise<string | undefined> {
  try {
    await db.transaction(
      async (tx) => {
        await tx.exec(`SET LOCAL ROLE ${role}`);
        await tx.query(sql);
      },
      { rollback: true },
    );
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

async function dropRoles(names: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    for (const role of names) await client.query(`DROP ROLE IF EXISTS ${role}`);
  } finally {
    await client.end();
  }
}

/** A fresh database with the shipped schema and roles applied; roles dropped afterwards (server). */
function databaseWithRolesEach(engine: TestDatabase['engine']) {
  const state: { target?: TestDatabase; roles?: TestRoles } = {};
  beforeEach(async () => {
    state.roles = uniqueRoles();
    state.target = await createTestDatabase(engine, { withSchema: true });
    const db = await state.target.open();
    try {
      const { owner, app, reporting } = state.roles;
      await db.transaction((tx) => applyRoles(tx, { owner, app, reporting }));
    } finally {
      await db.close(); // the embedded database admits one process at a time: the CLI opens it next
    }
  });
  afterEach(async () => {
    await state.target?.drop();
    if (engine === 'postgres' && state.roles) {
      const { login, deployer, app, reporting, owner } = state.roles;
      await dropRoles([login, deployer, app, reporting, owner]);
    }
    state.target = state.roles = undefined;
  });
  return {
    get target(): TestDatabase {
      return state.target!;
    },
    get roles(): TestRoles {
      return state.roles!;
    },
    async withDb<T>(work: (db: Database) => Promise<T>): Promise<T> {
      const db = await state.target!.open();
      try {
        return await work(db);
      } finally {
        await db.close();
      }
    },
    migrate(dir: string, ...args: string[]) {
      return runCli([...state.target!.cliArgs, '--migrations', dir, 'migrate', '--json', ...args]);
    },
    /** The database's URL with another user (server only). */
    urlAs(user: string): string {
      const url = new URL(state.target!.config.databaseUrl!);
      url.username = user;
      return url.toString();
    },
  };
}

type AppliedReport = { script: string; roles?: string };

describe.each(engines)('roles kept with every migration on %s', (engine) => {
  const fresh = databaseWithRolesEach(engine);

  it('a routine dropped and created again, and a new routine, belong to the owner and only the application may execute them', async () => {
    const dir = deployment(join(fresh.target.workDir, 'migrations'), 'deploy 1', { fixtures: ['new-routine'] });
    appendFileSync(join(dir, 'functions/R__get_phone_number_details.sql'), '\n-- changed: CREATE OR REPLACE keeps owner and grants\n');
    const before = await fresh.withDb((db) => routine(db, RECREATED));

    const result = await fresh.migrate(dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { rolesReapplied: boolean; applied: AppliedReport[] };
    expect(report.rolesReapplied).toBe(true);
    // What each migration needed: re-created or new routines re-applied the roles; CREATE OR REPLACE left them as they were.
    expect(Object.fromEntries(report.applied.map(({ script, roles }) => [script, roles]))).toEqual({
      'functions/R__get_phone_number.sql': 'reapplied',
      'functions/R__get_phone_number_details.sql': 'unchanged',
      'functions/R__grants_probe.sql': 'reapplied',
    });

    await fresh.withDb(async (db) => {
      const after = await routine(db, RECREATED);
      expect(after!.oid).not.toBe(before!.oid); // really dropped and created again
      expect(after!.owner).toBe(fresh.roles.owner);
      expect((await routine(db, NEW_ROUTINE))!.owner).toBe(fresh.roles.owner);
      expect(await sqlStateAs(db, fresh.roles.app, CALL_RECREATED)).toBeUndefined();
      expect(await sqlStateAs(db, fresh.roles.app, 'SELECT ecliptix.grants_probe(1)')).toBeUndefined();
      expect(await sqlStateAs(db, fresh.roles.reporting, 'SELECT ecliptix.grants_probe(1)')).toBe('42501');
    });
  });

  it('a later migration in the same run fails: the routine committed before it keeps its owner and grants', async () => {
    const dir = deployment(join(fresh.target.workDir, 'migrations'), 'deploy 1', { fixtures: ['fails-later'] });
    const before = await fresh.withDb((db) => routine(db, RECREATED));

    const result = await fresh.migrate(dir);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('zz/R__fails_after_the_routines.sql');
    expect(result.stderr).toContain('fails on purpose');

    await fresh.withDb(async (db) => {
      const after = await routine(db, RECREATED);
      expect(after!.oid).not.toBe(before!.oid); // committed before the failure
      expect(after!.owner).toBe(fresh.roles.owner);
      expect(await sqlStateAs(db, fresh.roles.app, CALL_RECREATED)).toBeUndefined();
    });
  });

  it('a migration without a transaction gets them right after it, before the next migration runs', async () => {
    const dir = deployment(join(fresh.target.workDir, 'migrations'), 'deploy 1', { noTransaction: true, fixtures: ['fails-later'] });
    const before = await fresh.withDb((db) => routine(db, RECREATED));

    const result = await fresh.migrate(dir);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('zz/R__fails_after_the_routines.sql');

    await fresh.withDb(async (db) => {
      const after = await routine(db, RECREATED);
      expect(after!.oid).not.toBe(before!.oid);
      expect(after!.owner).toBe(fresh.roles.owner);
      expect(await sqlStateAs(db, fresh.roles.app, CALL_RECREATED)).toBeUndefined();
    });
  });

  it('the dry run re-applies them in its transaction too, reports it, and rolls everything back', async () => {
    const dir = deployment(join(fresh.target.workDir, 'migrations'), 'deploy 1', { fixtures: ['new-routine'] });
    const before = await fresh.withDb((db) => routine(db, RECREATED));

    const result = await fresh.migrate(dir, '--dry-run');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { dryRun: boolean; rolesReapplied: boolean; applied: AppliedReport[] };
    expect(report).toMatchObject({ dryRun: true, rolesReapplied: true });
    expect(report.applied.map((m) => m.roles)).toEqual(['reapplied', 'reapplied']);

    await fresh.withDb(async (db) => {
      expect(await routine(db, RECREATED)).toEqual(before);
      expect(await routine(db, NEW_ROUTINE)).toBeUndefined();
    });
  });

  it.runIf(engine === 'postgres')(
    'a member of the owner role, not a superuser, can run the migration that re-creates a routine',
    async () => {
      const { roles } = fresh;
      const database = new URL(fresh.target.config.databaseUrl!).pathname.slice(1);
      // CREATE on the database: the journal's CREATE SCHEMA IF NOT EXISTS asks for it even when the schema exists.
      await fresh.withDb((db) =>
        db.exec(`CREATE ROLE ${roles.deployer} LOGIN IN ROLE ${roles.owner}; GRANT CREATE ON DATABASE "${database}" TO ${roles.deployer}`),
      );
      const dir = deployment(join(fresh.target.workDir, 'migrations'), 'deploy 1');

      const result = await runCli(['--database-url', fresh.urlAs(roles.deployer), '--migrations', dir, 'migrate', '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as { applied: AppliedReport[] }).applied).toMatchObject([
        { script: RECREATED_FILE, roles: 'reapplied' },
      ]);
      await fresh.withDb(async (db) => {
        expect((await routine(db, RECREATED))!.owner).toBe(roles.owner);
        expect(await sqlStateAs(db, roles.app, CALL_RECREATED)).toBeUndefined();
      });
    },
  );

  it('a privilege granted by hand since the last apply is taken back by the next migration, even one that re-creates nothing', async () => {
    const dir = join(fresh.target.workDir, 'migrations');
    cpSync(shippedMigrationsDir, dir, { recursive: true });
    appendFileSync(join(dir, 'functions/R__get_phone_number_details.sql'), '\n-- changed\n');
    await fresh.withDb((db) => db.exec(`GRANT SELECT ON ecliptix.memberships TO ${fresh.roles.app}`));

    const result = await fresh.migrate(dir);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { applied: AppliedReport[] }).applied.map((m) => m.roles)).toEqual(['reapplied']);
    await fresh.withDb(async (db) => {
      expect(await sqlStateAs(db, fresh.roles.app, 'SELECT count(*) FROM ecliptix.memberships')).toBe('42501');
    });
  });
});

describe('roles kept while the application calls the routines during migrate (postgres)', () => {
  const fresh = databaseWithRolesEach('postgres');
  const CALLERS = 4;
  const DEPLOYS = 5;
  /** Per caller: the loop ends when the deploys are done, or at this many calls. */
  const MAX_CALLS = 200_000;

  interface Failure {
    call: 'recreated' | 'register';
    code: string;
    message: string;
  }

  it('several connections keep calling while five deploys drop and re-create a routine: not one call is refused', async () => {
    const { target, roles } = fresh;
    await fresh.withDb((db) => db.exec(`CREATE ROLE ${roles.login} LOGIN IN ROLE ${roles.app}`));
    const pool = new pg.Pool({ connectionString: fresh.urlAs(roles.login), max: CALLERS });
    pool.on('error', () => undefined); // an idle client's connection lost: the callers see their own failures

    const succeeded = { recreated: 0, register: 0 };
    const failures: Failure[] = [];
    let stop = false;
    const caller = async () => {
      const client = await pool.connect();
      try {
        for (let i = 0; i < MAX_CALLS && !stop; i++) {
          const call = i % 2 === 0 ? 'recreated' : 'register';
          try {
            await client.query(call === 'recreated' ? CALL_RECREATED : CALL_REGISTER);
            succeeded[call]++;
          } catch (error) {
            const { code, message } = error as { code?: string; message: string };
            failures.push({ call, code: code ?? 'no code', message });
          }
        }
      } finally {
        client.release();
      }
    };

    const dir = join(target.workDir, 'migrations');
    const oids: string[] = [];
    const reports: { applied: AppliedReport[] }[] = [];
    const callers: Promise<void>[] = [];
    try {
      oids.push((await fresh.withDb((db) => routine(db, RECREATED)))!.oid);
      for (let i = 0; i < CALLERS; i++) callers.push(caller());
      while (succeeded.recreated < CALLERS * 5 && failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const beforeDeploys = { ...succeeded };
      for (let deploy = 1; deploy <= DEPLOYS; deploy++) {
        const result = await fresh.migrate(deployment(dir, `deploy ${deploy}`));
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        reports.push(JSON.parse(result.stdout));
        oids.push((await fresh.withDb((db) => routine(db, RECREATED)))!.oid);
      }
      const duringDeploys = {
        recreated: succeeded.recreated - beforeDeploys.recreated,
        register: succeeded.register - beforeDeploys.register,
      };
      stop = true;
      await Promise.all(callers);

      expect(new Set(oids).size).toBe(DEPLOYS + 1); // every deploy really dropped and created the routine
      expect(duringDeploys.recreated).toBeGreaterThan(DEPLOYS * 10); // and it was being called all along
      expect(duringDeploys.register).toBeGreaterThan(DEPLOYS * 10);
      const refused = failures.filter((f) => f.code === '42501');
      expect(refused.length, `${refused.length} refused calls, e.g. ${refused[0]?.message}`).toBe(0);
      expect(failures).toEqual([]);
      for (const report of reports) expect(report.applied).toMatchObject([{ script: RECREATED_FILE, roles: 'reapplied' }]);
    } finally {
      stop = true;
      await Promise.allSettled(callers);
      await pool.end();
    }
  });
});
