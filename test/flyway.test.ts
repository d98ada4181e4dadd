/** A Flyway project's folder and database, taken over: on PGlite and on a real PostgreSQL server. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baseline } from '../src/index.js';
import type { Database } from '../src/db/database.js';
import { flywayChecksum } from '../src/migrator/flyway.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, engines, type TestDatabase, withOpenDatabase } from './support/databases.js';
import { journalRows } from './support/snapshot.js';

const FILES: Record<string, string> = {
  'V1__a.sql': "CREATE SCHEMA fly;\nCREATE TABLE fly.steps (step text NOT NULL);\nINSERT INTO fly.steps VALUES ('1');\n",
  'V1_1__b.sql': "INSERT INTO fly.steps VALUES ('1.1');\n",
  'V2__c.sql': "INSERT INTO fly.steps VALUES ('2');\n",
  'R__v.sql': 'CREATE OR REPLACE VIEW fly.step_count AS SELECT count(*) AS steps FROM fly.steps;\n',
};

/** The history table as Flyway 9 creates it (PostgreSQL). */
function flywayHistoryDdl(table: string): string {
  return `CREATE TABLE ${table} (
    installed_rank integer NOT NULL,
    version varchar(50),
    description varchar(200) NOT NULL,
    type varchar(20) NOT NULL,
    script varchar(1000) NOT NULL,
    checksum integer,
    installed_by varchar(100) NOT NULL,
    installed_on timestamp NOT NULL DEFAULT now(),
    execution_time integer NOT NULL,
    success boolean NOT NULL,
    CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank)
  );
  CREATE INDEX flyway_schema_history_s_idx ON ${table} (success);`;
}

describe.each(engines)('Flyway projects on %s', (engine) => {
  let target: TestDatabase;
  let migrations: string;
  let args: string[];

  beforeEach(async () => {
    target = await createTestDatabase(engine);
    migrations = join(target.workDir, 'flyway-migrations');
    mkdirSync(migrations);
    for (const [name, sql] of Object.entries(FILES)) writeFileSync(join(migrations, name), sql);
    args = [...target.cliArgs, '--migrations', migrations];
  });
  afterEach(async () => {
    await target.drop();
  });

  const inspect = <T>(work: (db: Database) => Promise<T>): Promise<T> => withOpenDatabase(target, work);

  /** Builds what Flyway would have: the objects of the given files, and its history of them. */
  async function asFlywayLeftIt(table: string, history: { version: string | null; file: string; success?: boolean }[]): Promise<void> {
    await inspect(async (db) => {
      if (table.includes('.')) await db.exec(`CREATE SCHEMA IF NOT EXISTS ${table.split('.')[0]}`);
      await db.exec(flywayHistoryDdl(table));
      let rank = 0;
      for (const entry of history) {
        if (entry.success !== false) await db.exec(FILES[entry.file]!);
        const description = entry.file.replace(/^[VR][^_]*__|\.sql$/g, '').replace(/_/g, ' ');
        await db.query(
          `INSERT INTO ${table} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
           VALUES ($1, $2, $3, 'SQL', $4, $5, 'flyway', 3, $6)`,
          [++rank, entry.version, description, entry.file, flywayChecksum(FILES[entry.file]!), entry.success !== false],
        );
      }
    });
  }

  it('migrates a Flyway folder in version order: 1, 1.1, 2, then the repeatable', async () => {
    const result = await runCli([...args, 'migrate']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((l) => l.startsWith('applied'));
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(['V1__a.sql', 'V1_1__b.sql', 'V2__c.sql', 'R__v.sql']);
    await inspect(async (db) => {
      expect((await db.query<{ step: string }>('SELECT step FROM fly.steps')).rows.map((r) => r.step)).toEqual(['1', '1.1', '2']);
      expect((await journalRows(db)).map((j) => j.version)).toEqual(['1', '1.1', '2', null]);
    });
  });

  it('refuses two files with the same version, naming both (exit 5)', async () => {
    writeFileSync(join(migrations, 'V1.1__also_b.sql'), 'SELECT 1;\n');
    const result = await runCli([...args, 'migrate']);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('V1_1__b.sql: version 1.1 is also defined by V1.1__also_b.sql');
  });

  it("baseline --from-flyway adopts Flyway's database; migrate then applies only the newer files", async () => {
    await asFlywayLeftIt('flyway_schema_history', [
      { version: '1', file: 'V1__a.sql' },
      { version: '1.1', file: 'V1_1__b.sql' },
      { version: null, file: 'R__v.sql' },
    ]);
    const adopted = await runCli([...args, 'baseline', '--from-flyway']);
    expect(adopted.stderr).toBe('');
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toContain(
      "baseline at version 1.1 (from Flyway's public.flyway_schema_history): 3 migration(s) recorded as applied",
    );
    await inspect(async (db) => {
      expect((await journalRows(db)).map((j) => [j.version, j.type])).toEqual([
        ['1', 'baseline'],
        ['1.1', 'baseline'],
        [null, 'repeatable'],
      ]);
    });
    const migrated = await runCli([...args, 'migrate']);
    expect(migrated.code).toBe(0);
    expect(
      migrated.stdout
        .split('\n')
        .filter((l) => l.startsWith('applied'))
        .map((l) => l.split(/\s+/)[1]),
    ).toEqual(['V2__c.sql']);
    await inspect(async (db) => {
      expect((await db.query<{ step: string }>('SELECT step FROM fly.steps')).rows.map((r) => r.step)).toEqual(['1', '1.1', '2']);
    });
    const again = await runCli([...args, 'baseline', '--from-flyway']);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('cannot baseline: the database already has');
  });

  it('reads a history table named with --flyway-table; a repeatable changed since Flyway ran it is left for migrate', async () => {
    await asFlywayLeftIt('legacy.schema_version', [
      { version: '1', file: 'V1__a.sql' },
      { version: '1.1', file: 'V1_1__b.sql' },
      { version: '2', file: 'V2__c.sql' },
      { version: null, file: 'R__v.sql' },
    ]);
    writeFileSync(
      join(migrations, 'R__v.sql'),
      'CREATE OR REPLACE VIEW fly.step_count AS SELECT count(*) AS steps, 1 AS edited FROM fly.steps;\n',
    );
    const report = await baseline({ ...target.config, migrationsDir: migrations, fromFlyway: true, flywayTable: 'legacy.schema_version' });
    expect(report).toEqual({
      version: '2',
      recorded: ['V1__a.sql', 'V1_1__b.sql', 'V2__c.sql'],
      flyway: { table: 'legacy.schema_version', repeatablesPending: ['R__v.sql'] },
    });
    const migrated = await runCli([...args, 'migrate']);
    expect(migrated.code).toBe(0);
    expect(
      migrated.stdout
        .split('\n')
        .filter((l) => l.startsWith('applied'))
        .map((l) => l.split(/\s+/)[1]),
    ).toEqual(['R__v.sql']);
  });

  it('refuses failed Flyway rows and leaves the journal empty (exit 5)', async () => {
    await asFlywayLeftIt('flyway_schema_history', [
      { version: '1', file: 'V1__a.sql' },
      { version: '1.1', file: 'V1_1__b.sql', success: false },
    ]);
    const result = await runCli([...args, 'baseline', '--from-flyway']);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('cannot baseline from Flyway: 1 problem(s) in public.flyway_schema_history');
    expect(result.stderr).toContain('installed_rank 2 (version 1.1, V1_1__b.sql): failed in Flyway (success false)');
    await inspect(async (db) => expect(await journalRows(db)).toEqual([]));
  });

  it('refuses versions Flyway applied that are not among the files, and bad or missing tables (exit 2)', async () => {
    await asFlywayLeftIt('flyway_schema_history', [{ version: '1', file: 'V1__a.sql' }]);
    await inspect((db) =>
      db.exec("INSERT INTO flyway_schema_history VALUES (2, '3', 'gone', 'SQL', 'V3__gone.sql', 7, 'flyway', now(), 1, true)"),
    );
    const missing = await runCli([...args, 'baseline', '--from-flyway']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('Flyway applied version 3, but no migration file has that version');
    const bad = await runCli([...args, 'baseline', '--flyway-table', 'x; drop table y']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --flyway-table');
    const absent = await runCli([...args, 'baseline', '--flyway-table', 'nowhere.flyway_schema_history']);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain('no table flyway_schema_history in schema nowhere');
    const neither = await runCli([...args, 'baseline']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('baseline needs either --version <version> or --from-flyway');
  });
});
