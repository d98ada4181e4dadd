/** Deploying the shipped EcliptixMemberships schema: the 36 objects, via migrate and via the sql command. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrations } from '../src/migrator/files.js';
import { inspectObjects } from '../src/schema/objects.js';
import { shippedMigrationsDir } from '../src/sql-files.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from './support/databases.js';

describe.each(engines)('deploying the schema on %s', (engine) => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await createTestDatabase(engine);
  });
  afterEach(async () => {
    await target.drop();
  });

  it('from empty, status reports exactly 10 tables, 3 functions, 14 procedures, 9 triggers', async () => {
    const before = JSON.parse((await runCli([...target.cliArgs, 'status', '--json'])).stdout);
    expect(before.schema.byKind.map((k: { present: number }) => k.present)).toEqual([0, 0, 0, 0]);
    const migrated = await runCli([...target.cliArgs, 'migrate']);
    expect(migrated.code).toBe(0);
    const result = await runCli([...target.cliArgs, 'status', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.upToDate).toBe(true);
    expect(report.schema.byKind).toEqual([
      { kind: 'table', expected: 10, present: 10 },
      { kind: 'function', expected: 3, present: 3 },
      { kind: 'procedure', expected: 14, present: 14 },
      { kind: 'trigger', expected: 9, present: 9 },
    ]);
    expect(report.schema.unexpected).toEqual([]);
    expect(report.schema.added.map((o: { name: string; present: boolean }) => [o.name, o.present])).toEqual([
      ['start_verification', true],
      ['check_code', true],
    ]);
    expect(report.schema.complete).toBe(true);
    const human = await runCli([...target.cliArgs, 'status']);
    expect(human.stdout).toContain(
      'objects (schema ecliptix): tables 10/10, functions 3/3, procedures 14/14, triggers 9/9 — 36/36 present',
    );
    expect(human.stdout).toContain('beside the seed: 2/2 present (start_verification, check_code)');
  });

  it('the sql script deploys the same 36 objects, and migrate then has nothing to do', async () => {
    const script = await runCli(['sql']);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('-- ==== V001__support.sql');
    const file = join(target.workDir, 'deploy.sql');
    writeFileSync(file, script.stdout);
    if (engine === 'postgres') {
      execFileSync('psql', ['-1', '-v', 'ON_ERROR_STOP=1', '-q', '-d', target.config.databaseUrl!, '-f', file]);
    } else {
      const db = await target.open();
      try {
        await db.transaction((tx) => tx.exec(script.stdout));
      } finally {
        await db.close();
      }
    }
    const db = await target.open();
    try {
      const objects = await inspectObjects(db);
      expect(objects.complete).toBe(true);
      expect(objects.byKind.map((k) => k.present)).toEqual([10, 3, 14, 9]);
    } finally {
      await db.close();
    }
    const migrated = await runCli([...target.cliArgs, 'migrate']);
    expect(migrated.stdout).toContain('nothing to apply: the database is up to date');
  });

  it("the seed's core functionality calls work as one plain statement each", async () => {
    expect((await runCli([...target.cliArgs, 'migrate'])).code).toBe(0);
    const db = await target.open();
    try {
      const device = await db.query('SELECT * FROM ecliptix.register_app_device_if_not_exists(gen_random_uuid(), gen_random_uuid(), 1)');
      expect(device.rows).toEqual([expect.objectContaining({ outcome: 'created', status: 2 })]);
      const phone = await db.query("SELECT * FROM ecliptix.ensure_phone_number('+1234567890', 'US', NULL)");
      expect(phone.rows).toEqual([expect.objectContaining({ outcome: 'created' })]);
      const again = await db.query("SELECT * FROM ecliptix.ensure_phone_number('+1234567890', 'US', NULL)");
      expect(again.rows).toEqual([expect.objectContaining({ outcome: 'exists' })]);
      // One identity per E.164 number: another region (or none) finds the same row and leaves its region.
      for (const region of ["'GB'", 'NULL']) {
        const elsewhere = await db.query(`SELECT * FROM ecliptix.ensure_phone_number('+1234567890', ${region}, NULL)`);
        expect(elsewhere.rows).toEqual([
          expect.objectContaining({ outcome: 'exists', phone_unique_id: (phone.rows[0] as { phone_unique_id: string }).phone_unique_id }),
        ]);
      }
      expect((await db.query('SELECT count(*)::int AS n, min(region) AS region FROM ecliptix.phone_numbers')).rows[0]).toEqual({
        n: 1,
        region: 'US',
      });
    } finally {
      await db.close();
    }
  });
});

describe('sql command', () => {
  it('--no-journal leaves out the bookkeeping; -o writes a file', async () => {
    const plain = await runCli(['sql', '--no-journal']);
    expect(plain.stdout).not.toContain('persistor.schema_history');
    expect(plain.stdout.match(/^-- ==== /gm)).toHaveLength((await loadMigrations(shippedMigrationsDir)).length);
    const file = join(mkdtempSync(join(tmpdir(), 'persistor-sql-')), 'deploy.sql');
    const written = await runCli(['sql', '-o', file]);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toContain('INSERT INTO persistor.schema_history');
  });
});
