/**
 * Commands that only read (and those that work on data that must already be
 * there) never create an embedded database: on a data directory that holds
 * none they exit 3 naming it and `migrate`, and leave nothing behind — no
 * directory, no parent, no lock file. After `migrate` they work.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importDatabase } from '../src/commands/import.js';
import { migrate } from '../src/commands/migrate.js';
import { status } from '../src/commands/status.js';
import { openDatabase } from '../src/db/open.js';
import { runCli } from './support/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'persistor-read-only-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Keys for rotate-keys (which reads them before it opens anything). */
const env = { ECLIPTIX_DATA_KEYS: `k1:${randomBytes(32).toString('base64')}` };

const commands: readonly (readonly string[])[] = [
  ['status'],
  ['status', '--drift'],
  ['verify'],
  ['validate'],
  ['test'],
  ['cleanup', '--dry-run'],
  ['cleanup'],
  ['rotate-keys', '--dry-run'],
  ['rotate-keys'],
];

describe('read-only commands on an embedded data directory without a database', () => {
  it('exit 3 naming the directory and `migrate`, and create nothing (not the directory, its parent or a lock file)', async () => {
    for (const command of commands) {
      const parent = join(scratch, `missing-${command.join('-')}`);
      const dataDir = join(parent, 'db');
      const result = await runCli([...command, '--data-dir', dataDir], { env });
      expect({ command, code: result.code }).toEqual({ command, code: 3 });
      expect(result.stderr).toContain(`no embedded database at ${dataDir}`);
      expect(result.stderr).toContain('ecliptix-persistor migrate');
      expect(result.stderr).toContain('--data-dir');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect({ command, parent: existsSync(parent) }).toEqual({ command, parent: false });
    }
    expect(readdirSync(scratch)).toEqual([]);
  }, 120_000);

  it('the default data directory (.ecliptix/db) is not created either', async () => {
    const cwd = join(scratch, 'project');
    mkdirSync(cwd);
    const result = await runCli(['status'], { cwd });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(join(cwd, '.ecliptix', 'db'));
    expect(result.stderr).toContain('migrate');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('an existing empty directory stays empty, with no lock file beside it', async () => {
    const dataDir = join(scratch, 'empty', 'db');
    mkdirSync(dataDir, { recursive: true });
    const result = await runCli(['validate', '--data-dir', dataDir]);
    expect(result.code).toBe(3);
    expect(readdirSync(dataDir)).toEqual([]);
    expect(readdirSync(join(scratch, 'empty'))).toEqual(['db']);
  });

  it('--json gives the JSON error document', async () => {
    for (const command of commands) {
      const dataDir = join(scratch, `json-${command.join('-')}`, 'db');
      const result = await runCli([...command, '--json', '--data-dir', dataDir], { env });
      expect({ command, code: result.code }).toEqual({ command, code: 3 });
      const document = JSON.parse(result.stdout) as { error: { code: string; message: string; details: string[] } };
      expect(document.error.code).toBe('CONNECTION_FAILED');
      expect(document.error.message).toContain(dataDir);
      expect(document.error.message).toContain('ecliptix-persistor migrate');
      expect(existsSync(dataDir)).toBe(false);
    }
  }, 120_000);

  it('the programmatic API does the same; openDatabase creates only without mustExist', async () => {
    const dataDir = join(scratch, 'api', 'db');
    await expect(status({ dataDir })).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
      exitCode: 3,
      message: expect.stringContaining('migrate'),
    });
    await expect(openDatabase({ dataDir, connectTimeoutMs: 5_000, lockTimeoutMs: 5_000 }, { mustExist: true })).rejects.toMatchObject({
      exitCode: 3,
    });
    expect(existsSync(join(scratch, 'api'))).toBe(false);
  });
});

describe('dry runs (`migrate --dry-run`, `import --dry-run`) on an embedded data directory without a database', () => {
  const dryRuns: readonly (readonly string[])[] = [
    ['migrate', '--dry-run'],
    ['migrate', '--dry-run', '--backup'],
    ['import', '--dry-run'],
    ['import', '--dry-run', '--files', scratch],
  ];

  it('exit 3 naming the directory and `migrate`, and create nothing (no directory, parent, lock or development keys)', async () => {
    for (const command of dryRuns) {
      const parent = join(scratch, `dry-${command.join('-').replace(/\//g, '_')}`);
      const dataDir = join(parent, 'db');
      // No ECLIPTIX_DATA_KEYS: an import would otherwise make the development keys beside the data directory.
      const result = await runCli([...command, '--data-dir', dataDir]);
      expect({ command, code: result.code }).toEqual({ command, code: 3 });
      expect(result.stderr).toContain(`no embedded database at ${dataDir}`);
      expect(result.stderr).toContain('ecliptix-persistor migrate');
      expect(result.stderr).toContain('--data-dir');
      expect({ command, parent: existsSync(parent) }).toEqual({ command, parent: false });

      const json = await runCli([...command, '--json', '--data-dir', dataDir]);
      expect({ command, code: json.code }).toEqual({ command, code: 3 });
      const document = JSON.parse(json.stdout) as { error: { code: string; message: string } };
      expect(document.error.code).toBe('CONNECTION_FAILED');
      expect(document.error.message).toContain(dataDir);
      expect({ command, parent: existsSync(parent) }).toEqual({ command, parent: false });
    }
    expect(readdirSync(scratch).filter((name) => name.startsWith('dry-'))).toEqual([]);
  }, 120_000);

  it('the programmatic API does the same', async () => {
    const dataDir = join(scratch, 'api-dry', 'db');
    for (const run of [() => migrate({ dataDir, dryRun: true }), () => importDatabase({ dataDir, dryRun: true })]) {
      await expect(run()).rejects.toMatchObject({
        code: 'CONNECTION_FAILED',
        exitCode: 3,
        message: expect.stringContaining(`no embedded database at ${dataDir}`),
      });
    }
    expect(existsSync(join(scratch, 'api-dry'))).toBe(false);
  });

  it('`migrate --dry-run` works once the database exists', async () => {
    const dataDir = join(scratch, 'dry-then-migrated', 'db');
    expect((await runCli(['migrate', '--data-dir', dataDir])).code).toBe(0);
    const dry = await runCli(['migrate', '--dry-run', '--data-dir', dataDir]);
    expect({ code: dry.code, stdout: dry.stdout }).toEqual({ code: 0, stdout: 'dry run: nothing to apply; the database is up to date\n' });
    rmSync(join(scratch, 'dry-then-migrated'), { recursive: true, force: true });
  }, 120_000);
});

describe('after `migrate`', () => {
  it('each of them works on the database it made', async () => {
    const dataDir = join(scratch, 'migrated', 'db');
    const migrated = await runCli(['migrate', '--data-dir', dataDir]);
    expect(migrated.code).toBe(0);
    for (const command of commands) {
      const result = await runCli([...command, '--data-dir', dataDir], { env, timeoutMs: 120_000 });
      expect({ command, code: result.code, stderr: result.stderr }).toEqual({ command, code: 0, stderr: expect.any(String) });
      expect(result.stderr).not.toContain('no embedded database');
    }
  }, 600_000);
});

describe('a data directory that is a file, or lies under one', () => {
  it('is a configuration error (exit 2) naming the file, for every command, never a raw ENOTDIR/EEXIST; --files likewise', async () => {
    const dir = mkdtempSync(join(scratch, 'file-'));
    const file = join(dir, 'afile');
    writeFileSync(file, 'not a database');
    for (const [dataDir, says] of [
      [file, `the data directory ${file} is a file`],
      [join(file, 'db'), `lies under ${file}, which is a file`],
    ] as const) {
      for (const args of [['migrate'], ['status'], ['migrate', '--dry-run']]) {
        const run = await runCli(['--data-dir', dataDir, ...args], { env });
        expect(run.code, `${args.join(' ')} on ${dataDir}`).toBe(2);
        expect(run.stderr).toContain(says);
        expect(run.stderr).not.toMatch(/ENOTDIR|EEXIST|at .*\.js/);
      }
    }
    expect(readdirSync(dir)).toEqual(['afile']);
    const missing = await runCli(['--data-dir', join(dir, 'db'), 'import', '--files', join(dir, 'nope')], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such directory');
    expect(existsSync(join(dir, 'db'))).toBe(false);
    expect(existsSync(join(dir, 'dev-secrets.json'))).toBe(false);
  });
});
