/** `backup`, `restore` and `migrate --backup`: fill, back up, damage or drop, restore, compare every table; and every way they refuse. */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { backup } from '../../src/commands/backup.js';
import { restore } from '../../src/commands/restore.js';
import { roles } from '../../src/commands/roles.js';
import { verify } from '../../src/commands/verify.js';
import type { Database } from '../../src/db/database.js';
import { Migrator } from '../../src/migrator/migrator.js';
import { shippedMigrationsDir } from '../../src/sql-files.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
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

  it('fill, back up, damage or drop, restore: every table is as it was', async () => {
    db = await target.open();
    await loadRetentionData(db, { go: 40, stay: 15 });
    for (let i = 0; i < 3; i++) await signUp(db, `+4477009000${i}`);
    await db.query("UPDATE ecliptix_internal.settings SET value = '45' WHERE name = 'retention_days'");
    const before = await dumpSchemas(db);
    expect(before['ecliptix.memberships']).toHaveLength(3);
    expect(before['persistor.schema_history']!.length).toBeGreaterThan(20);
    await close();

    const backups = join(target.workDir, 'backups');
    const made = await runCli([...target.cliArgs, 'backup', '--json'], { env: { ECLIPTIX_BACKUP_DIR: backups } });
    expect(made.code, made.stderr).toBe(0);
    const result = JSON.parse(made.stdout);
    expect(result).toMatchObject({ engine, format: engine === 'postgres' ? 'pg_dump-custom' : 'pglite-datadir' });
    expect(result.file).toMatch(new RegExp(`^${backups}/\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z${engine === 'postgres' ? '\\.dump' : '\\.tar\\.gz'}$`));
    expect(statSync(result.file).size).toBe(result.bytes);
    expect(readdirSync(backups)).toHaveLength(1); // no .partial left behind

    if (engine === 'postgres') {
      // Damage: lost rows, a dropped table, edited data and settings, junk.
      db = await target.open();
      await db.exec(`
        DELETE FROM ecliptix.login_attempts;
        DROP TABLE ecliptix.event_log;
        UPDATE ecliptix.memberships SET status = 'blocked';
        UPDATE ecliptix_internal.settings SET value = '1' WHERE name = 'max_failed_logins';
        INSERT INTO ecliptix.app_devices (app_instance_id, device_id) VALUES (gen_random_uuid(), gen_random_uuid());`);
      const damaged = await dumpSchemas(db);
      const refused = await runCli([...target.cliArgs, 'restore', result.file]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('already holds the memberships database (9 tables in schema ecliptix, a migration journal); restoring replaces it — add --force');
      expect(await dumpSchemas(db)).toEqual(damaged); // refused before touching anything
      const restored = await runCli([...target.cliArgs, 'restore', result.file, '--force']);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain('(replacing what was there)');
      expect(restored.stdout).toMatch(/memberships\s+3/);
      expect(await dumpSchemas(db)).toEqual(before);
      // Then everything dropped: a restore into the empty database needs no --force.
      await db.exec('DROP SCHEMA ecliptix CASCADE; DROP SCHEMA ecliptix_internal CASCADE; DROP SCHEMA persistor CASCADE;');
      const again = await restore({ ...target.config, file: result.file });
      expect(again.replaced).toBe(false);
    } else {
      // The data directory is lost: a restore re-creates it (no --force needed: nothing to replace).
      rmSync(target.config.dataDir, { recursive: true, force: true });
      const restored = await runCli([...target.cliArgs, 'restore', result.file]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).not.toContain('replacing');
      expect(restored.stdout).toMatch(/memberships\s+3/);
      await expect(restore({ ...target.config, file: result.file })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('already holds a database; restoring replaces it — add --force') });
      db = await target.open();
    }
    expect(await dumpSchemas(db!)).toEqual(before);
    expect((await verify({ ...target.config, db: db! })).passed).toBe(true);
  });

  it('refuses bad input with a clear message and changes nothing; --force replaces a damaged database', async () => {
    db = await target.open();
    await signUp(db, '+447700900100');
    const before = await dumpSchemas(db);
    await close();
    const file = join(target.workDir, engine === 'postgres' ? 'good.dump' : 'good.tar.gz');
    const made = await backup({ ...target.config, output: file });
    expect(made.file).toBe(file);
    const dataDirBefore = engine === 'pglite' ? directoryDigest(target.config.dataDir) : '';

    // An existing file is never overwritten.
    const bytes = readFileSync(file);
    await expect(backup({ ...target.config, output: file })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('already exists: backups are never overwritten') });
    expect(readFileSync(file).equals(bytes)).toBe(true);

    // Not there, not a backup, the other engine's backup.
    await expect(restore({ ...target.config, file: join(target.workDir, 'missing.dump'), force: true })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('no such file') });
    const text = join(target.workDir, 'notes.txt');
    writeFileSync(text, 'not a backup');
    await expect(restore({ ...target.config, file: text, force: true })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('is not a backup made by this tool') });
    const other = join(target.workDir, 'other');
    writeFileSync(other, engine === 'postgres' ? Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]) : Buffer.from('PGDMP\u0001\u000e'));
    await expect(restore({ ...target.config, file: other, force: true })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(engine === 'postgres' ? 'is a backup of an embedded (PGlite) database' : 'is a pg_dump archive of a PostgreSQL server'),
    });

    // A truncated backup: refused (server: pg_restore cannot read it) or fails to load (embedded); the target is untouched.
    const truncated = join(target.workDir, engine === 'postgres' ? 'cut.dump' : 'cut.tar.gz');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(restore({ ...target.config, file: truncated, force: true })).rejects.toMatchObject({
      exitCode: engine === 'postgres' ? 2 : 1,
      message: expect.stringMatching(engine === 'postgres' ? /cannot be read by .*pg_restore/ : /does not load as a PGlite database.*was not changed/),
    });

    // Damaged since the backup (rows lost and changed; for the embedded database, files of its directory lost):
    // --force puts the backup in its place.
    if (engine === 'postgres') {
      db = await target.open();
      expect(await dumpSchemas(db)).toEqual(before);
      await db.exec('DELETE FROM ecliptix.login_attempts; UPDATE ecliptix.app_devices SET device_type = 9;');
      await close();
    } else {
      expect(directoryDigest(target.config.dataDir)).toBe(dataDirBefore); // every refusal left the directory alone
      expect(readdirSync(join(target.config.dataDir, '..')).filter((n) => n.includes('restoring') || n.includes('replaced'))).toEqual([]);
      rmSync(join(target.config.dataDir, 'base'), { recursive: true });
    }
    const replaced = await restore({ ...target.config, file, force: true });
    expect(replaced.replaced).toBe(true);
    db = await target.open();
    expect(await dumpSchemas(db)).toEqual(before);
  });

  it('migrate --backup takes a restorable backup before applying, and none when there is nothing to apply', async () => {
    const fresh = await createTestDatabase(engine);
    try {
      db = await fresh.open();
      await new Migrator({ db, migrationsDir: shippedMigrationsDir, lockTimeoutMs: 10_000 }).migrate({ target: '3' });
      await db.exec("INSERT INTO ecliptix.phone_numbers (phone_number, region) VALUES ('+447700900200', 'GB')");
      const atV3 = await dumpSchemas(db);
      await close();

      const backups = join(fresh.workDir, 'backups');
      const run = await runCli([...fresh.cliArgs, 'migrate', '--backup'], { env: { ECLIPTIX_BACKUP_DIR: backups } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.split('\n')[0]).toMatch(/^backed up to .*\/backups\/.*(\.dump|\.tar\.gz) \(/);
      expect(run.stdout).toContain('migration(s) applied');
      const [file] = readdirSync(backups);

      if (engine === 'postgres') {
        const nothing = await runCli([...fresh.cliArgs, 'migrate', '--backup', '--json'], { env: { ECLIPTIX_BACKUP_DIR: backups } });
        expect(nothing.code).toBe(0);
        expect(JSON.parse(nothing.stdout)).toMatchObject({ applied: [], upToDate: true });
        expect(JSON.parse(nothing.stdout).backup).toBeUndefined();
        expect(readdirSync(backups)).toEqual([file]);
      }

      // The backup is the database as it was before the migration. (Embedded: the same dump that the
      // first test restores and compares; not restored again here, which would cost two more PGlite starts.)
      if (engine === 'postgres') {
        const back = await restore({ ...fresh.config, file: join(backups, file!), force: true });
        expect(back.tables).toEqual([]); // only 2 of the 10 tables existed: no row report
        db = await fresh.open();
        expect(await dumpSchemas(db)).toEqual(atV3);
        await close();
      } else {
        expect(file).toMatch(/\.tar\.gz$/);
        expect(gunzipSync(readFileSync(join(backups, file!))).includes('PG_VERSION')).toBe(true);
        expect(atV3['ecliptix.phone_numbers']).toHaveLength(1);
      }
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
      await db.exec("CREATE TABLE ecliptix.hand_made (x int); CREATE INDEX ix_after ON ecliptix.event_log (message); DELETE FROM ecliptix.login_attempts");
      await restore({ ...target.config, file, force: true });
      expect(await dumpSchemas(db)).toEqual(before);
      expect((await db.query("SELECT to_regclass('ecliptix.hand_made') AS t, to_regclass('ecliptix.ix_after') AS i")).rows[0]).toEqual({ t: null, i: null });

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
    const names = { owner: `persistor_rt_owner_${process.pid}`, app: `persistor_rt_app_${process.pid}`, reporting: `persistor_rt_rep_${process.pid}` };
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      await roles({ ...target.config, ...names });
      const file = join(target.workDir, 'roles.dump');
      await backup({ ...target.config, output: file });
      const restored = await restore({ ...target.config, file, force: true });
      expect(restored.rolesReapplied).toBe(true);
      const db = await target.open();
      try {
        const owners = await db.query<{ owner: string }>("SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'ecliptix'::regnamespace");
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
