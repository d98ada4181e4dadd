/** `backup`, `restore` and `migrate --backup`: fill, back up, damage or drop, restore, compare every table; and every way they refuse. */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { backup } from '../../src/commands/backup.js';
import { restore } from '../../src/commands/restore.js';
import { roles } from '../../src/commands/roles.js';
import { verify } from '../../src/commands/verify.js';
import type { Database } from '../../src/db/database.js';
import { openPglite } from '../../src/db/pglite.js';
import { Migrator } from '../../src/migrator/migrator.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { copyFixtures } from '../support/fixtures.js';
import { loadRetentionData } from './retention-data.js';
import { directoryDigest, dumpSchemas, signUp } from './support.js';

describe.each(engines)('backup and restore on %s', (engine) => {
  let target: TestDatabase;
  let db: Database | undefined;
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

  it('fill, back up, refuse bad input, damage or drop, restore: every table is as it was', async () => {
    db = await target.open();
    await loadRetentionData(db, { go: 40, stay: 15 });
    for (let i = 0; i < 3; i++) await signUp(db, `+4477009000${i}`);
    await db.query("UPDATE ecliptix_internal.settings SET value = '45' WHERE name = 'retention_days'");
    const before = await dumpSchemas(db);
    const counts = Object.fromEntries(
      Object.entries(before)
        .filter(([t]) => t.startsWith('ecliptix.'))
        .map(([t, rows]) => [t.slice('ecliptix.'.length), rows.length]),
    );
    expect(before['ecliptix.memberships']).toHaveLength(3);
    expect(before['persistor.schema_history']!.length).toBeGreaterThan(20);
    await close();

    const backups = join(target.workDir, 'backups');
    const made = await runCli([...target.cliArgs, 'backup', '--json'], { env: { ECLIPTIX_BACKUP_DIR: backups } });
    expect(made.code, made.stderr).toBe(0);
    const result = JSON.parse(made.stdout);
    const file: string = result.file;
    expect(result).toMatchObject({ engine, format: engine === 'postgres' ? 'pg_dump-custom' : 'pglite-datadir' });
    expect(file).toMatch(
      new RegExp(`^${backups}/\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z${engine === 'postgres' ? '\\.dump' : '\\.tar\\.gz'}$`),
    );
    expect(statSync(file).size).toBe(result.bytes);
    expect(readdirSync(backups)).toHaveLength(1); // no .partial left behind
    const dataDirBefore = engine === 'pglite' ? directoryDigest(target.config.dataDir) : '';

    // Bad input, refused before anything is changed.
    const bytes = readFileSync(file);
    await expect(backup({ ...target.config, output: file })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('already exists: backups are never overwritten'),
    });
    expect(readFileSync(file).equals(bytes)).toBe(true);
    await expect(restore({ ...target.config, file: join(target.workDir, 'missing.dump'), force: true })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('no such file'),
    });
    const text = join(target.workDir, 'notes.txt');
    writeFileSync(text, 'not a backup');
    await expect(restore({ ...target.config, file: text, force: true })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('is not a backup made by this tool'),
    });
    const other = join(target.workDir, 'other');
    writeFileSync(other, engine === 'postgres' ? Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]) : Buffer.from('PGDMP\u0001\u000e'));
    await expect(restore({ ...target.config, file: other, force: true })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(
        engine === 'postgres' ? 'is a backup of an embedded (PGlite) database' : 'is a pg_dump archive of a PostgreSQL server',
      ),
    });
    // Truncated: refused (server: pg_restore cannot read it) or fails to load (embedded).
    const truncated = join(target.workDir, engine === 'postgres' ? 'cut.dump' : 'cut.tar.gz');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(restore({ ...target.config, file: truncated, force: true })).rejects.toMatchObject({
      exitCode: engine === 'postgres' ? 2 : 1,
      message: expect.stringMatching(
        engine === 'postgres' ? /cannot be read by .*pg_restore/ : /does not load as a PGlite database.*was not changed/,
      ),
    });

    if (engine === 'postgres') {
      // Damage: lost rows, a dropped table, edited data and settings, junk.
      db = await target.open();
      expect(await dumpSchemas(db)).toEqual(before); // every refusal left it alone
      await db.exec(`
        DELETE FROM ecliptix.login_attempts;
        DROP TABLE ecliptix.event_log;
        UPDATE ecliptix.memberships SET status = 'blocked';
        UPDATE ecliptix_internal.settings SET value = '1' WHERE name = 'max_failed_logins';
        INSERT INTO ecliptix.app_devices (app_instance_id, device_id) VALUES (gen_random_uuid(), gen_random_uuid());`);
      const damaged = await dumpSchemas(db);
      const refused = await runCli([...target.cliArgs, 'restore', file]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        'already holds the memberships database (9 tables in schema ecliptix, a migration journal); restoring replaces it — add --force',
      );
      expect(await dumpSchemas(db)).toEqual(damaged);
      const restored = await runCli([...target.cliArgs, 'restore', file, '--force']);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain('(replacing what was there)');
      expect(restored.stdout).toMatch(/memberships\s+3/);
      expect(await dumpSchemas(db)).toEqual(before);
      expect((await verify({ ...target.config, db })).passed).toBe(true);
      // Then everything dropped: a restore into the empty database needs no --force.
      await db.exec('DROP SCHEMA ecliptix CASCADE; DROP SCHEMA ecliptix_internal CASCADE; DROP SCHEMA persistor CASCADE;');
      const again = await restore({ ...target.config, file });
      expect(again.replaced).toBe(false);
      expect(await dumpSchemas(db)).toEqual(before);
    } else {
      expect(directoryDigest(target.config.dataDir)).toBe(dataDirBefore); // every refusal left the directory alone
      expect(readdirSync(join(target.config.dataDir, '..')).filter((n) => n.includes('restoring') || n.includes('replaced'))).toEqual([]);
      // Damage: files of the data directory lost; only --force replaces it.
      rmSync(join(target.config.dataDir, 'base'), { recursive: true });
      await expect(restore({ ...target.config, file })).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringContaining('already holds a database; restoring replaces it — add --force'),
      });
      const restored = await runCli([...target.cliArgs, 'restore', file, '--force']);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain('(replacing what was there)');
      expect(restored.stdout).toMatch(/memberships\s+3/);
      db = await target.open();
      // The unlogged tables (ecliptix_internal.limit_guards, V017; limit_refusals, V020) come back empty from PGlite's
      // dump of its data directory, as after a crash: the next call that takes a guard inserts it again, and the next
      // refusal of a running episode writes its event again.
      expect(await dumpSchemas(db)).toEqual({ ...before, 'ecliptix_internal.limit_guards': [], 'ecliptix_internal.limit_refusals': [] });
      expect((await verify({ ...target.config, db })).passed).toBe(true);
      await close();
      // Then the directory lost altogether: a restore re-creates it, no --force needed.
      rmSync(target.config.dataDir, { recursive: true, force: true });
      const again = await restore({ ...target.config, file });
      expect(again.replaced).toBe(false);
      expect(Object.fromEntries(again.tables.map((t) => [t.table, t.rows]))).toEqual(counts);
    }
  });

  it('migrate --backup takes a restorable backup before applying, and none when there is nothing to apply', async () => {
    // A small migrations folder keeps this quick: what matters is that the backup comes first.
    const fresh = await createTestDatabase(engine);
    const migrations = copyFixtures(fresh.workDir, 'basic');
    try {
      db = await fresh.open();
      await new Migrator({ db, migrationsDir: migrations, lockTimeoutMs: 10_000 }).migrate({ target: '1' });
      await db.exec("INSERT INTO app.accounts (id, name) VALUES (7, 'before the migration')");
      const atV1 = await dumpSchemas(db, ['app', 'persistor']);
      await close();

      const backups = join(fresh.workDir, 'backups');
      const args = [...fresh.cliArgs, '--migrations', migrations];
      const run = await runCli([...args, 'migrate', '--backup'], { env: { ECLIPTIX_BACKUP_DIR: backups } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.split('\n')[0]).toMatch(/^backed up to .*\/backups\/.*(\.dump|\.tar\.gz) \(/);
      expect(run.stdout).toContain('done: 4 migration(s) applied');
      const [file] = readdirSync(backups);

      if (engine === 'postgres') {
        const nothing = await runCli([...args, 'migrate', '--backup', '--json'], { env: { ECLIPTIX_BACKUP_DIR: backups } });
        expect(nothing.code).toBe(0);
        expect(JSON.parse(nothing.stdout)).toMatchObject({ applied: [], upToDate: true });
        expect(JSON.parse(nothing.stdout).backup).toBeUndefined();
        expect(readdirSync(backups)).toEqual([file]);
      }

      // The backup is the database as it was before the migration.
      const into = engine === 'postgres' ? fresh.config : { dataDir: join(fresh.workDir, 'restored') };
      await restore({ ...into, file: join(backups, file!), force: true });
      db = engine === 'postgres' ? await fresh.open() : await openPglite({ dataDir: into.dataDir!, lockTimeoutMs: 10_000 });
      expect(await dumpSchemas(db, ['app', 'persistor'])).toEqual(atV1);
      await close();
    } finally {
      await close();
      await fresh.drop();
    }
  });
});

describe('backup and restore: the tools and the database must be there', () => {
  it('no pg_dump in --pg-bin: exit 1 naming what to install; a missing embedded database: exit 3', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      const missing = await runCli([...target.cliArgs, 'backup', '--pg-bin', join(target.workDir, 'no-such-bin')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no pg_dump\/pg_restore\/psql for PostgreSQL \d+ found/);
      expect(missing.stderr).toMatch(/install the PostgreSQL \d+ client tools/);
      expect(readdirSync(target.workDir)).toEqual([]);
    } finally {
      await target.drop();
    }
    const nowhere = join(target.workDir, 'nothing-here');
    const embedded = await runCli(['backup', '--data-dir', nowhere, '--output', join(nowhere, 'x.tar.gz')]);
    expect(embedded.code).toBe(3);
    expect(embedded.stderr).toContain('no embedded database at');
    expect(existsSync(nowhere)).toBe(false);
  });

  it('the server restore drops what was made after the backup; a restore that fails part-way changes nothing', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    const role = `persistor_restore_app_${process.pid}`;
    const db = await target.open();
    try {
      // A backup holding a GRANT to the application role.
      await db.exec(`CREATE ROLE ${role} NOLOGIN; GRANT USAGE ON SCHEMA ecliptix TO ${role};`);
      await signUp(db, '+447700900300');
      const before = await dumpSchemas(db);
      const file = join(target.workDir, 'b.dump');
      await backup({ ...target.config, output: file });

      // Made after the backup: a table and an index. The restore removes them.
      await db.exec(
        'CREATE TABLE ecliptix.hand_made (x int); CREATE INDEX ix_after ON ecliptix.event_log (message); DELETE FROM ecliptix.login_attempts',
      );
      await restore({ ...target.config, file, force: true });
      expect(await dumpSchemas(db)).toEqual(before);
      expect((await db.query("SELECT to_regclass('ecliptix.hand_made') AS t, to_regclass('ecliptix.ix_after') AS i")).rows[0]).toEqual({
        t: null,
        i: null,
      });

      // The role is gone now: re-creating the GRANT fails, and the whole restore is rolled back.
      await db.exec(`REVOKE USAGE ON SCHEMA ecliptix FROM ${role}; DROP ROLE ${role}; DELETE FROM ecliptix.memberships`);
      const damaged = await dumpSchemas(db);
      await expect(restore({ ...target.config, file, force: true })).rejects.toMatchObject({
        code: 'RESTORE_FAILED',
        exitCode: 1,
        message: 'restore failed and was rolled back: the database is as it was before',
        details: expect.arrayContaining([expect.stringContaining(`role "${role}" does not exist`)]),
      });
      expect(await dumpSchemas(db)).toEqual(damaged);

      // An archive cut short in its data: pg_restore fails part-way, nothing is committed.
      await db.exec(`CREATE ROLE ${role} NOLOGIN`);
      const bytes = readFileSync(file);
      const cut = join(target.workDir, 'cut.dump');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
      await expect(restore({ ...target.config, file: cut, force: true })).rejects.toMatchObject({ code: 'RESTORE_FAILED', exitCode: 1 });
      expect(await dumpSchemas(db)).toEqual(damaged);
    } finally {
      await db.exec(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await db.close();
      await target.drop();
    }
  });

  it('after a server restore the least-privilege roles own their objects again, and verify checks the application role', async () => {
    const names = {
      owner: `persistor_rt_owner_${process.pid}`,
      app: `persistor_rt_app_${process.pid}`,
      reporting: `persistor_rt_rep_${process.pid}`,
    };
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      await roles({ ...target.config, ...names });
      const file = join(target.workDir, 'roles.dump');
      await backup({ ...target.config, output: file });
      const restored = await restore({ ...target.config, file, force: true });
      expect(restored.rolesReapplied).toBe(true);
      const db = await target.open();
      try {
        const owners = await db.query<{ owner: string }>(
          "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'ecliptix'::regnamespace",
        );
        expect(owners.rows).toEqual([{ owner: names.owner }]);
        const report = await verify({ ...target.config, db });
        expect(report.passed).toBe(true);
        expect(report.connection.role).toBe(names.app);
      } finally {
        await db.close();
      }
    } finally {
      await target.drop();
      const admin = new pg.Client({ connectionString: inject('adminUrl') });
      await admin.connect();
      for (const role of Object.values(names)) await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await admin.end();
    }
  });
});
