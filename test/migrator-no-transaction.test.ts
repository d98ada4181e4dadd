/**
 * No-transaction migrations run statement by statement: a failure names the
 * statement, what ran stays applied and the journal says how far it got;
 * `repair` then `migrate` finishes once the database and file are fixed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, repair, status } from '../src/index.js';
import { readJournal } from '../src/migrator/journal.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, engines, type TestDatabase, withOpenDatabase } from './support/databases.js';
import { copyFixtures } from './support/fixtures.js';

const THREE_STATEMENTS = `-- Three statements, run one by one; the second fails (no such table).
-- persistor:no-transaction
CREATE TABLE app.first (id integer, note text DEFAULT 'a;b');

INSERT INTO app.nowhere
  VALUES (1);
DO $body$ BEGIN PERFORM 1; CREATE TABLE app.third (id integer); END $body$;
`;

describe.each(engines)('no-transaction migrations statement by statement on %s', (engine) => {
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

  const write = (sql: string) => writeFileSync(join(migrations, 'tables', 'V4__three_statements.sql'), sql);
  const exists = (relation: string) =>
    withOpenDatabase(
      target,
      async (db) => (await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [relation])).rows[0]!.t,
    );

  it('names the failed statement, keeps statement 1, journals how far it got; repair + migrate finishes', async () => {
    write(THREE_STATEMENTS);
    const failed = await runCli([...args, 'migrate']);
    expect(failed.code).toBe(4);
    expect(failed.stderr).toContain(
      'migration tables/V4__three_statements.sql failed at statement 2 of 3 (line 5: INSERT INTO app.nowhere): relation "app.nowhere" does not exist [SQLSTATE 42P01]',
    );
    expect(failed.stderr).toContain('1 of 3 applied before statement 2 failed');
    expect(failed.stderr).toContain(
      "applied (and kept): statement 1 of 3 (line 3: CREATE TABLE app.first (id integer, note text DEFAULT 'a;b'))",
    );
    expect(failed.stderr).toContain(
      'not run: statement 3 of 3 (line 7: DO $body$ BEGIN PERFORM 1; CREATE TABLE app.third (id integer); END $body$)',
    );
    expect(failed.stderr).toContain('statement 1 stayed applied: undo it by hand or make it safe to run again');
    expect(await exists('app.first')).toBe('app.first');
    expect(await exists('app.third')).toBeNull();

    await withOpenDatabase(target, async (db) => {
      expect((await readJournal(db)).at(-1)).toMatchObject({
        version: '4',
        success: false,
        statementsApplied: 1,
        failure: 'statement 2 of 3 (line 5: INSERT INTO app.nowhere): relation "app.nowhere" does not exist [SQLSTATE 42P01]',
      });
    });
    const plan = await status({ ...target.config, migrationsDir: migrations });
    expect(plan.migrations.find((s) => s.version === '4')!.state).toBe('failed');
    expect(plan.problems.join('\n')).toContain('failed part-way in an earlier run (no transaction) at statement 2 of 3');

    // The fix: statement 1 made safe to re-run, statement 2 fixed.
    write(THREE_STATEMENTS.replace('CREATE TABLE app.first', 'CREATE TABLE IF NOT EXISTS app.first').replace('app.nowhere', 'app.first'));
    expect((await repair({ ...target.config, migrationsDir: migrations })).failedRemoved).toEqual(['tables/V4__three_statements.sql']);
    const result = await migrate({ ...target.config, migrationsDir: migrations });
    expect(result.applied.map((m) => m.script)).toContain('tables/V4__three_statements.sql');
    expect(await exists('app.third')).toBe('app.third');
    await withOpenDatabase(target, async (db) => {
      expect((await readJournal(db)).find((e) => e.version === '4')).toMatchObject({ version: '4', success: true, statementsApplied: 3 });
      expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM app.first')).rows[0]!.n).toBe(1);
    });
  });

  it('a failing first statement: nothing applied, and the message says so', async () => {
    write('-- persistor:no-transaction\nSELECT 1/0;\nCREATE TABLE app.never (id integer);\n');
    const failed = await runCli([...args, 'migrate']);
    expect(failed.code).toBe(4);
    expect(failed.stderr).toContain('failed at statement 1 of 2 (line 2: SELECT 1/0): division by zero [SQLSTATE 22012]');
    expect(failed.stderr).toContain('nothing of it was applied');
    expect(await exists('app.never')).toBeNull();
    await withOpenDatabase(target, async (db) =>
      expect((await readJournal(db)).at(-1)).toMatchObject({ success: false, statementsApplied: 0 }),
    );
  });

  it('a transactional migration still runs whole in one transaction, with no statement count', async () => {
    mkdirSync(join(migrations, 'tables'), { recursive: true });
    write('CREATE TABLE app.a (id integer);\nCREATE TABLE app.b (id integer);\n');
    await migrate({ ...target.config, migrationsDir: migrations });
    await withOpenDatabase(target, async (db) => {
      const last = (await readJournal(db)).find((e) => e.version === '4')!;
      expect(last).toMatchObject({ version: '4', success: true });
      expect(last.statementsApplied).toBeUndefined();
    });
  });
});

describe('a journal made by an earlier version (without statements_applied and failure)', () => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await createTestDatabase('pglite');
  });
  afterEach(async () => {
    await target.drop();
  });

  it('reads for status unchanged, and gains the columns with the next migrate', async () => {
    const migrations = copyFixtures(target.workDir, 'basic');
    await withOpenDatabase(target, (db) =>
      db.exec(`CREATE SCHEMA persistor;
        CREATE TABLE persistor.schema_history (
          installed_rank integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, version text, description text NOT NULL,
          type text NOT NULL, script text NOT NULL, checksum text NOT NULL, installed_by text NOT NULL DEFAULT current_user,
          installed_at timestamptz NOT NULL DEFAULT now(), execution_ms integer NOT NULL, success boolean NOT NULL);`),
    );
    const before = await status({ ...target.config, migrationsDir: migrations });
    expect(before.counts.pending).toBe(5);
    await migrate({ ...target.config, migrationsDir: migrations });
    await withOpenDatabase(target, async (db) => {
      const { rows } = await db.query<{ attname: string }>(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'persistor.schema_history'::regclass AND attname IN ('statements_applied', 'failure') ORDER BY 1",
      );
      expect(rows.map((r) => r.attname)).toEqual(['failure', 'statements_applied']);
      expect(await readJournal(db)).toHaveLength(5);
    });
  });
});

describe('no-transaction migrations on the server', () => {
  let target: TestDatabase;
  let migrations: string;

  beforeEach(async () => {
    target = await createTestDatabase('postgres');
    migrations = copyFixtures(target.workDir, 'basic');
  });
  afterEach(async () => {
    await target.drop();
  });

  it('runs several CREATE INDEX CONCURRENTLY in one file (each cannot run in a transaction block)', async () => {
    writeFileSync(
      join(migrations, 'tables', 'V4__concurrent_indexes.sql'),
      [
        '-- persistor:no-transaction',
        'CREATE INDEX CONCURRENTLY accounts_name_idx ON app.accounts (name);',
        'CREATE INDEX CONCURRENTLY accounts_email_idx ON app.accounts (email);',
        "COMMENT ON INDEX app.accounts_name_idx IS 'built concurrently; no lock on writes';",
        '',
      ].join('\n'),
    );
    const result = await runCli([...target.cliArgs, '--migrations', migrations, 'migrate']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    await withOpenDatabase(target, async (db) => {
      const { rows } = await db.query<{ name: string; valid: boolean }>(
        `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relname IN ('accounts_name_idx', 'accounts_email_idx') ORDER BY 1`,
      );
      expect(rows).toEqual([
        { name: 'accounts_email_idx', valid: true },
        { name: 'accounts_name_idx', valid: true },
      ]);
      expect((await readJournal(db)).find((e) => e.version === '4')).toMatchObject({ version: '4', success: true, statementsApplied: 3 });
    });
  });
});
