/**
 * A new embedded database is unpacked from the empty template the build
 * makes (instead of PGlite's slow, memory-hungry initdb), atomically; without
 * a template PGlite initialises it as before.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../src/db/pglite.js';
import { buildTemplate, installedPgliteVersion, templateFile } from '../src/db/pglite-template.js';
import { runCli } from './support/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'persistor-template-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a new embedded database', () => {
  it('the build made the template for the installed PGlite version, and building again keeps it', async () => {
    expect(templateFile()).toContain(`empty-${installedPgliteVersion()}.tar.gz`);
    expect(existsSync(templateFile())).toBe(true);
    const again = await buildTemplate();
    expect(again).toMatchObject({ file: templateFile(), built: false });
    expect(again.bytes).toBeGreaterThan(1_000_000);
  });

  it('is unpacked from the template, works, keeps its data, and opens as existing the next time', async () => {
    const dataDir = join(scratch, 'from-template');
    const db = await openPglite({ dataDir, lockTimeoutMs: 10_000 });
    try {
      expect(db.created).toBe('from-template');
      expect((await db.query<{ v: string }>("SELECT current_setting('shared_buffers') AS v")).rows[0]!.v).toBe('32MB');
      await db.exec('CREATE TABLE kept (n int); INSERT INTO kept VALUES (7);');
    } finally {
      await db.close();
    }
    expect(existsSync(`${dataDir}.creating`)).toBe(false);
    const reopened = await openPglite({ dataDir, lockTimeoutMs: 10_000 });
    try {
      expect(reopened.created).toBeUndefined();
      expect((await reopened.query<{ n: number }>('SELECT n FROM kept')).rows).toEqual([{ n: 7 }]);
    } finally {
      await reopened.close();
    }
  });

  it('replaces a staging directory left by a run killed while unpacking', async () => {
    const dataDir = join(scratch, 'after-kill');
    mkdirSync(`${dataDir}.creating/base`, { recursive: true });
    writeFileSync(`${dataDir}.creating/PG_VERSION`, 'half');
    const db = await openPglite({ dataDir, lockTimeoutMs: 10_000 });
    try {
      expect(db.created).toBe('from-template');
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
    expect(existsSync(`${dataDir}.creating`)).toBe(false);
  });

  it('without the template, PGlite initialises it', async () => {
    const dataDir = join(scratch, 'by-initdb');
    const db = await openPglite({ dataDir, lockTimeoutMs: 10_000, useTemplate: false });
    try {
      expect(db.created).toBe('by-initdb');
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
    expect(readdirSync(dataDir)).toContain('PG_VERSION');
  });

  it('`migrate` into a new directory says (at debug level) that it came from the template, and verify passes', async () => {
    const dataDir = join(scratch, 'cli');
    const migrated = await runCli(['--data-dir', dataDir, '--log-level', 'debug', 'migrate'], { cwd: scratch });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stderr).toContain('"created":"from-template"');
    const verified = await runCli(['--data-dir', dataDir, 'verify'], { cwd: scratch });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });
});
