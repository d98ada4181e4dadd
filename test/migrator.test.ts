/** The migration engine, through the real CLI and the API, on PGlite and on a real PostgreSQL server. */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baseline, migrate, repair, status, validate } from '../src/index.js';
import type { Database } from '../src/db/database.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, engines, type TestDatabase, withOpenDatabase } from './support/databases.js';
import { copyFixtures } from './support/fixtures.js';
import { catalogSnapshot, journalRows } from './support/snapshot.js';

describe.each(engines)('migrator on %s', (engine) => {
  let target: TestDatabase;
  let migrations: string;
  let args: string[];

  beforeEach(async () => {
    target = await createTestDatabase(engine);
    migrations = copyFixtures(target.workDir, 'basic');
    args = [...target.cliArgs, '--migrations', migrations];
  });
  afterEach(async () => {
    await target.drop();
  });

  const inspect = <T>(work: (db: Database) => Promise<T>): Promise<T> => withOpenDatabase(target, work);

  it('deploys from empty with one progress line per migration, in dependency order', async () => {
    const result = await runCli([...args, 'migrate']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((l) => l.startsWith('applied'));
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual([
      'tables/V1__create_accounts.sql',
      'tables/V2__add_email.sql',
      'tables/V3__seed_accounts.sql',
      'routines/R__z_account_count.sql',
      'routines/R__a_summary.sql',
    ]);
    await inspect(async (db) => {
      expect((await db.query<{ accounts: number }>('SELECT accounts FROM app.summary')).rows[0]!.accounts).toBe(2);
      const journal = await journalRows(db);
      expect(journal.map((j) => [j.version, j.type, j.success])).toEqual([
        ['1', 'versioned', true],
        ['2', 'versioned', true],
        ['3', 'versioned', true],
        [null, 'repeatable', true],
        [null, 'repeatable', true],
      ]);
    });
  });

  it('re-running is a no-op', async () => {
    expect((await runCli([...args, 'migrate'])).code).toBe(0);
    const again = await runCli([...args, 'migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to apply: the database is up to date');
    await inspect(async (db) => expect(await journalRows(db)).toHaveLength(5));
    const report = await runCli([...args, 'status', '--json']);
    expect(report.code).toBe(0);
    const parsed = JSON.parse(report.stdout);
    expect(parsed.upToDate).toBe(true);
    expect(parsed.counts).toEqual({ applied: 5, pending: 0, problems: 0 });
  });

  it('--target stops at a version and leaves repeatables until every version is applied', async () => {
    const partial = await runCli([...args, 'migrate', '--target', '2']);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toContain('left pending  tables/V3__seed_accounts.sql');
    const pending = JSON.parse((await runCli([...args, 'status', '--json'])).stdout);
    expect(pending.upToDate).toBe(false);
    expect(pending.migrations.map((m: { script: string; state: string }) => `${m.script}:${m.state}`)).toEqual([
      'tables/V1__create_accounts.sql:applied',
      'tables/V2__add_email.sql:applied',
      'tables/V3__seed_accounts.sql:pending',
      'routines/R__z_account_count.sql:pending',
      'routines/R__a_summary.sql:pending',
    ]);
    await inspect(async (db) => expect((await db.query('SELECT * FROM app.accounts')).rows).toEqual([]));
    expect((await runCli([...args, 'migrate'])).code).toBe(0);
    await inspect(async (db) => expect(await journalRows(db)).toHaveLength(5));
  });

  it('a dry run prints the SQL, proves the plan, and changes nothing — journal included', async () => {
    const before = await inspect((db) => Promise.all([catalogSnapshot(db), journalRows(db)]));
    const result = await runCli([...args, 'migrate', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ALTER TABLE app.accounts ADD COLUMN email text;');
    expect(result.stdout).toContain('dry run succeeded: 5 migration(s) would apply');
    const after = await inspect((db) => Promise.all([catalogSnapshot(db), journalRows(db)]));
    expect(after).toEqual(before);
    expect(after[1]).toEqual([]);
  });

  it('a dry run reports a failing migration as failing (exit 4) and still changes nothing', async () => {
    expect((await runCli([...args, 'migrate', '--target', '2'])).code).toBe(0);
    copyFixtures(target.workDir, 'broken');
    const before = await inspect((db) => Promise.all([catalogSnapshot(db), journalRows(db)]));
    const result = await runCli([...args, 'migrate', '-d']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('dry run: migration V4__broken.sql failed at line 4');
    expect(await inspect((db) => Promise.all([catalogSnapshot(db), journalRows(db)]))).toEqual(before);
  });

  it('a failing migration rolls back completely, names the file, line and PostgreSQL message (exit 4)', async () => {
    copyFixtures(target.workDir, 'broken');
    const result = await runCli([...args, 'migrate']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      /error: migration V4__broken\.sql failed at line 4, column \d+: relation "app\.missing_table" does not exist \[SQLSTATE 42P01\]/,
    );
    expect(result.stderr).toContain('near: INSERT INTO app.missing_table VALUES (1);');
    expect(result.stderr).toContain('rolled back: nothing of it was applied');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    await inspect(async (db) => {
      const journal = await journalRows(db);
      expect(journal.map((j) => j.version)).toEqual(['1', '2', '3']);
      expect((await db.query("SELECT to_regclass('app.half_done') AS t")).rows[0]).toEqual({ t: null });
    });
  });

  it('detects an edited applied migration (exit 5, file and both checksums) until repair accepts it', async () => {
    expect((await runCli([...args, 'migrate'])).code).toBe(0);
    const file = join(migrations, 'tables/V2__add_email.sql');
    const oldChecksum = (await inspect((db) => journalRows(db)))[1]!.checksum;
    appendFileSync(file, '-- edited after deployment\n');
    for (const command of ['validate', 'migrate']) {
      const result = await runCli([...args, command]);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('tables/V2__add_email.sql: edited after it was applied');
      expect(result.stderr).toContain(`applied checksum ${oldChecksum}`);
      expect(result.stderr).toMatch(/file checksum [0-9a-f]{64}/);
    }
    const repaired = await runCli([...args, 'repair']);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain('accepted edit  tables/V2__add_email.sql');
    const validated = await runCli([...args, 'validate']);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain('valid: 5 applied migration(s) match their files');
  });

  it('re-applies a repeatable migration only when its file changes', async () => {
    expect((await runCli([...args, 'migrate'])).code).toBe(0);
    expect((await runCli([...args, 'migrate'])).stdout).not.toContain('applied ');
    const file = join(migrations, 'routines/R__z_account_count.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace('count(*)', 'count(*) + 0'));
    const result = await runCli([...args, 'migrate']);
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .split('\n')
        .filter((l) => l.startsWith('applied'))
        .map((l) => l.split(/\s+/)[1]),
    ).toEqual(['routines/R__z_account_count.sql']);
    await inspect(async (db) => {
      const journal = await journalRows(db);
      expect(journal.filter((j) => j.description === 'z_account_count')).toHaveLength(2);
      expect(journal.filter((j) => j.description === 'a_summary')).toHaveLength(1);
      expect((await db.query<{ accounts: number }>('SELECT accounts FROM app.summary')).rows[0]!.accounts).toBe(2);
    });
  });

  it('8 concurrent migrate processes on one fresh database apply each migration exactly once and all exit 0', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runCli([...args, 'migrate', '--lock-timeout', '90000'], { timeoutMs: 110_000 })),
    );
    for (const result of results) expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const appliedLines = results.flatMap((r) => r.stdout.split('\n').filter((l) => l.startsWith('applied')));
    expect(appliedLines).toHaveLength(5);
    await inspect(async (db) => {
      const journal = await journalRows(db);
      expect(journal).toHaveLength(5);
      expect(new Set(journal.map((j) => `${j.version}:${j.description}`)).size).toBe(5);
    });
  });

  it('baseline adopts an existing database without running the adopted migrations', async () => {
    await inspect(async (db) => {
      await db.exec(readFileSync(join(migrations, 'tables/V1__create_accounts.sql'), 'utf8'));
      await db.exec(readFileSync(join(migrations, 'tables/V2__add_email.sql'), 'utf8'));
    });
    const result = await runCli([...args, 'baseline', '--version', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('baseline at version 2: 2 migration(s) recorded as applied');
    const migrated = await runCli([...args, 'migrate']);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).not.toContain('V1__');
    expect(migrated.stdout).toContain('applied  tables/V3__seed_accounts.sql');
    const report = await status({ ...target.config, migrationsDir: migrations });
    expect(report.migrations.slice(0, 3).map((m) => m.state)).toEqual(['baselined', 'baselined', 'applied']);
    const again = await runCli([...args, 'baseline', '--version', '2']);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('cannot baseline: the database already has');
  });

  it('the programmatic API does what the CLI does', async () => {
    const dry = await migrate({ ...target.config, migrationsDir: migrations, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.applied).toHaveLength(5);
    const result = await migrate({ ...target.config, migrationsDir: migrations });
    expect(result.applied.map((m) => m.description)).toEqual([
      'create_accounts',
      'add_email',
      'seed_accounts',
      'z_account_count',
      'a_summary',
    ]);
    expect((await validate({ ...target.config, migrationsDir: migrations })).checked).toBe(5);
    expect((await repair({ ...target.config, migrationsDir: migrations })).checksumsUpdated).toEqual([]);
    await expect(baseline({ ...target.config, migrationsDir: migrations, version: 'x1' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      exitCode: 2,
    });
  });

  it('refuses a pending migration older than the newest applied one (exit 5)', async () => {
    expect((await runCli([...args, 'migrate'])).code).toBe(0);
    writeFileSync(join(migrations, 'tables/V2.5__late.sql'), 'SELECT 1;\n');
    const result = await runCli([...args, 'migrate']);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('version 2.5 is pending but the later version 3 is already applied');
  });

  it('waits for a running migrator, and gives up after --lock-timeout (exit 1)', async () => {
    if (engine === 'pglite') {
      const holder = await target.open();
      try {
        const result = await runCli([...args, 'migrate', '--lock-timeout', '300']);
        expect(result.code).toBe(3);
        expect(result.stderr).toMatch(/database in use: the embedded database .* is open in process \d+/);
      } finally {
        await holder.close();
      }
      return;
    }
    const holder = await target.open();
    try {
      await holder.withSession(async (session) => {
        await session.query("SELECT pg_advisory_lock('-751836953389445539'::bigint)");
        const result = await runCli([...args, 'migrate', '--lock-timeout', '300']);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('another migrator run holds the lock on this database; gave up after 300 ms');
        await session.query("SELECT pg_advisory_unlock('-751836953389445539'::bigint)");
      });
    } finally {
      await holder.close();
    }
    await inspect(async (db) => expect(await journalRows(db)).toEqual([]));
  });
});

describe.each(engines)('no-transaction migrations on %s', (engine) => {
  let target: TestDatabase;
  let args: string[];
  let migrations: string;

  beforeEach(async () => {
    target = await createTestDatabase(engine);
    migrations = copyFixtures(target.workDir, 'basic');
    args = [...target.cliArgs, '--migrations', migrations];
  });
  afterEach(async () => {
    await target.drop();
  });

  it('runs an opted-out file outside a transaction (CREATE INDEX CONCURRENTLY)', async () => {
    copyFixtures(target.workDir, 'concurrent-index');
    const dry = await runCli([...args, 'migrate', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('not proven  V4__index_accounts_name.sql  runs outside a transaction');
    const result = await runCli([...args, 'migrate']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const db = await target.open();
    try {
      expect((await db.query("SELECT to_regclass('app.accounts_name_idx') IS NOT NULL AS exists")).rows[0]).toEqual({ exists: true });
    } finally {
      await db.close();
    }
  });

  it('journals a failed no-transaction run, refuses until repaired, then re-runs it', async () => {
    copyFixtures(target.workDir, 'broken-no-transaction');
    const failed = await runCli([...args, 'migrate']);
    expect(failed.code).toBe(4);
    expect(failed.stderr).toContain('V4__half_applied.sql failed at statement 2 of 2 (line 4: INSERT INTO app.missing_table VALUES (1))');
    expect(failed.stderr).toContain('applied (and kept): statement 1 of 2 (line 3: CREATE TABLE app.kept (id integer))');
    const refused = await runCli([...args, 'migrate']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('V4__half_applied.sql: failed part-way in an earlier run (no transaction) at statement 2 of 2');
    expect(refused.stderr).toContain('statement 1 stayed applied');
    const db = await target.open();
    try {
      expect((await journalRows(db)).at(-1)).toMatchObject({ version: '4', success: false });
      // Each statement runs on its own: the first one stayed.
      expect((await db.query("SELECT to_regclass('app.kept')::text AS t")).rows[0]).toEqual({ t: 'app.kept' });
      await db.exec('DROP TABLE app.kept; CREATE TABLE app.missing_table (id integer);');
    } finally {
      await db.close();
    }
    const repaired = await runCli([...args, 'repair']);
    expect(repaired.stdout).toContain('cleared failure  V4__half_applied.sql');
    const again = await runCli([...args, 'migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('applied  V4__half_applied.sql');
  });
});
