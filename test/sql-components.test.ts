/**
 * The seed's component-by-component and single-file deployment: `sql
 * --component tables|functions|procedures|triggers` and `sql --migration`,
 * applied with `psql -v ON_ERROR_STOP=1 -f`, leave a database that `status`
 * and `migrate` recognise. psql scripts: server only (PGlite runs no psql).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMPONENTS, componentScript, migrationScript } from '../src/migrator/script.js';
import { inspectObjects } from '../src/schema/objects.js';
import { shippedMigrationsDir } from '../src/sql-files.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';

describe('component and single-migration scripts through psql (server)', () => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await createTestDatabase('postgres');
  });
  afterEach(async () => {
    await target.drop();
  });

  function psql(script: string, name: string): { code: number | null; stdout: string; stderr: string } {
    const file = join(target.workDir, `${name}.sql`);
    writeFileSync(file, script);
    const run = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', target.config.databaseUrl!, '-f', file], {
      encoding: 'utf8',
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  async function journalCount(): Promise<number> {
    const db = await target.open();
    try {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM persistor.schema_history');
      return rows[0]!.n;
    } finally {
      await db.close();
    }
  }

  it('the four components in order deploy the 36 objects; status is up to date and migrate has nothing to do; a re-run skips everything', async () => {
    let total = 0;
    for (const component of COMPONENTS) {
      const { script, migrations } = await componentScript(shippedMigrationsDir, component);
      expect(migrations.length).toBeGreaterThan(0);
      total += migrations.length;
      const run = psql(script, component);
      expect(run.stderr).not.toMatch(/ERROR/);
      expect(run.code).toBe(0);
    }
    expect(await journalCount()).toBe(total);

    const db = await target.open();
    try {
      const objects = await inspectObjects(db);
      expect(objects.complete).toBe(true);
    } finally {
      await db.close();
    }
    const status = JSON.parse((await runCli([...target.cliArgs, 'status', '--json'])).stdout);
    expect(status.upToDate).toBe(true);
    const migrated = await runCli([...target.cliArgs, 'migrate']);
    expect(migrated.stdout).toContain('nothing to apply: the database is up to date');

    const again = psql((await componentScript(shippedMigrationsDir, 'tables')).script, 'tables-again');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('V001__support.sql: already applied, skipped');
    expect(await journalCount()).toBe(total);
  });

  it('a component before the earlier ones is refused before it changes anything, naming what is missing', async () => {
    const run = psql((await componentScript(shippedMigrationsDir, 'procedures')).script, 'procedures-first');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('apply the components before procedures first');
    expect(run.stderr).toContain('V001__support.sql');
    expect(await journalCount()).toBe(0);
    const db = await target.open();
    try {
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'ecliptix'");
      expect(rows[0]!.n).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('one migration with its journal row: applied once, then recognised by migrate, which applies the rest', async () => {
    const { script, migration } = await migrationScript(shippedMigrationsDir, 'V001');
    expect(migration.script).toBe('V001__support.sql');
    expect(psql(script, 'v001').code).toBe(0);
    const second = psql(script, 'v001-again');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already applied, skipped');
    expect(await journalCount()).toBe(1);

    const status = JSON.parse((await runCli([...target.cliArgs, 'status', '--json'])).stdout);
    expect(status.upToDate).toBe(false);
    const migrated = await runCli([...target.cliArgs, 'migrate']);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).not.toContain('V001__support.sql');
    const after = JSON.parse((await runCli([...target.cliArgs, 'status', '--json'])).stdout);
    expect(after.upToDate).toBe(true);
  });

  it('a failing migration leaves neither its changes nor its journal row', async () => {
    const { script } = await migrationScript(shippedMigrationsDir, 'tables/V002__app_devices.sql');
    const run = psql(script, 'v002-without-v001');
    expect(run.code).not.toBe(0);
    expect(await journalCount()).toBe(0);
  });
});

describe('naming a migration', () => {
  it('by version, file name, path or description; anything else is refused with the names to use', async () => {
    for (const selector of ['14', 'V014', 'V014__limits_on_every_path.sql', 'limits_on_every_path']) {
      expect((await migrationScript(shippedMigrationsDir, selector)).migration.script).toBe('V014__limits_on_every_path.sql');
    }
    expect((await migrationScript(shippedMigrationsDir, 'procedures/R__login_membership.sql')).migration.type).toBe('repeatable');
    await expect(migrationScript(shippedMigrationsDir, 'V999')).rejects.toThrow(/no migration named "V999"/);
  });

  it('each migration in exactly one component, in deployment order', async () => {
    const seen = new Set<string>();
    for (const component of COMPONENTS) {
      for (const m of (await componentScript(shippedMigrationsDir, component)).migrations) {
        expect(seen.has(m.script)).toBe(false);
        seen.add(m.script);
      }
    }
    expect(seen.size).toBe((await import('../src/migrator/files.js').then((f) => f.loadMigrations(shippedMigrationsDir))).length);
  });
});

describe('the sql command line', () => {
  it('--component and --migration print the scripts; bad names and contradictory flags exit 2 naming the choices', async () => {
    const tables = await runCli(['sql', '--component', 'tables']);
    expect(tables.code).toBe(0);
    expect(tables.stdout).toContain('001_DeployTables');
    expect(tables.stdout).toBe((await componentScript(shippedMigrationsDir, 'tables')).script);
    const one = await runCli(['sql', '--migration', 'V014']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('-- ==== V014__limits_on_every_path.sql');

    const badComponent = await runCli(['sql', '--component', 'views']);
    expect(badComponent.code).toBe(2);
    expect(badComponent.stderr).toContain('tables, functions, procedures, triggers');
    const badMigration = await runCli(['sql', '--migration', 'V999']);
    expect(badMigration.code).toBe(2);
    expect(badMigration.stderr).toContain('no migration named "V999"');
    const both = await runCli(['sql', '--component', 'tables', '--migration', 'V014']);
    expect(both.code).toBe(2);
    const noJournal = await runCli(['sql', '--component', 'tables', '--no-journal']);
    expect(noJournal.code).toBe(2);
    expect(noJournal.stderr).toContain('--no-journal is for the whole deployment only');
  });
});
