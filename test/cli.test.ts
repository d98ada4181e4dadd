/** The command line itself: help, configuration and its errors, exit codes, secrets, the `test` command. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from './support/databases.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'persistor-cli-'));

describe('help and arguments', () => {
  it('--help lists every command and the exit codes; each command has --help', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['test', 'status', 'migrate', 'validate', 'baseline', 'repair', 'sql']) expect(help.stdout).toContain(command);
    expect(help.stdout).toContain('3 connection error, 4 migration error, 5 validation error');
    for (const command of ['test', 'status', 'migrate', 'validate', 'baseline', 'repair', 'sql']) {
      const sub = await runCli([command, '--help']);
      expect(sub.code, command).toBe(0);
      expect(sub.stdout).toContain(`Usage: ecliptix-persistor ${command}`);
    }
  });

  it('no command, an unknown command or option, or a missing value: exit 2 with a message', async () => {
    expect((await runCli([])).code).toBe(2);
    const unknown = await runCli(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'deploy'");
    const option = await runCli(['migrate', '--force']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--force'");
    const missing = await runCli(['baseline']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('baseline needs either --version <version> or --from-flyway');
    const badTarget = await runCli(['migrate', '--target', 'latest', '--data-dir', join(scratch(), 'db')]);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('invalid version "latest"');
  });

  it('prints the version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('configuration', () => {
  it('precedence is flags > environment > config file > defaults, and file paths are relative to the file', () => {
    const dir = scratch();
    writeFileSync(
      join(dir, 'ecliptix-persistor.config.json'),
      JSON.stringify({ dataDir: 'from-file', lockTimeoutMs: 1000, connectTimeoutMs: 2000 }),
    );
    const fileOnly = loadConfig({ cwd: dir, env: {} });
    expect(fileOnly.config).toMatchObject({
      dataDir: join(dir, 'from-file'),
      lockTimeoutMs: 1000,
      connectTimeoutMs: 2000,
      logLevel: 'warn',
    });
    const withEnv = loadConfig({ cwd: dir, env: { ECLIPTIX_DATA_DIR: '/env/db', ECLIPTIX_LOCK_TIMEOUT_MS: '3000' } });
    expect(withEnv.config).toMatchObject({ dataDir: '/env/db', lockTimeoutMs: 3000, connectTimeoutMs: 2000 });
    const withFlags = loadConfig({
      cwd: dir,
      env: { ECLIPTIX_DATA_DIR: '/env/db' },
      flags: { dataDir: '/flag/db', lockTimeoutMs: '4000' },
    });
    expect(withFlags.config).toMatchObject({ dataDir: '/flag/db', lockTimeoutMs: 4000 });
    expect(withFlags.origins).toMatchObject({
      dataDir: '--data-dir',
      lockTimeoutMs: '--lock-timeout',
      connectTimeoutMs: join(dir, 'ecliptix-persistor.config.json'),
    });
    expect(loadConfig({ cwd: scratch(), env: {} }).config).toMatchObject({
      dataDir: expect.stringMatching(/\.ecliptix\/db$/),
      connectTimeoutMs: 10_000,
      lockTimeoutMs: 60_000,
    });
  });

  it('a bad config is one line naming the key and its source, exit 2, before connecting', async () => {
    const dir = scratch();
    const cases: { files?: Record<string, string>; args: string[]; env?: Record<string, string>; message: string }[] = [
      {
        files: { 'ecliptix-persistor.config.json': '{"dataDir": "x", "databseUrl": "postgres://h/db"}' },
        args: ['status'],
        message: 'unknown key databseUrl in',
      },
      { files: { 'ecliptix-persistor.config.json': '{"dataDir": ' }, args: ['status'], message: 'is not valid JSON' },
      { files: { 'c.json': '[1]' }, args: ['status', '--config', 'c.json'], message: 'must hold one JSON object' },
      { args: ['status', '--config', 'nope.json'], message: 'nope.json does not exist' },
      { args: ['status', '-s', 'mysql://h/db'], message: 'databaseUrl (from --database-url) must be a URL like postgres://' },
      { args: ['status'], env: { DATABASE_URL: 'not a url' }, message: 'databaseUrl (from DATABASE_URL) must be a URL' },
      { args: ['status'], env: { ECLIPTIX_CONNECT_TIMEOUT_MS: 'soon' }, message: 'connectTimeoutMs (from ECLIPTIX_CONNECT_TIMEOUT_MS)' },
      { args: ['status', '--lock-timeout', '-5'], message: 'lockTimeoutMs (from --lock-timeout)' },
      { files: { 'ecliptix-persistor.config.json': '{"logLevel": "loud"}' }, args: ['status'], message: 'logLevel (from' },
    ];
    for (const { files = {}, args, env, message } of cases) {
      const cwd = mkdtempSync(join(dir, 'case-'));
      for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
      const result = await runCli(args, { cwd, ...(env ? { env } : {}) });
      expect({ code: result.code, args }).toEqual({ code: 2, args });
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stdout).toBe('');
    }
  });

  it('never prints a password: bad URL, failed connection, --json', async () => {
    const password = 'Sup3r-s3cret-pw';
    const badUrl = await runCli(['test', '-s', `postgres://admin:${password}@/nohost`]);
    expect(badUrl.code).toBe(2);
    const refused = await runCli(['test', '--json', '-s', `postgres://admin:${password}@127.0.0.1:1/db`, '--connect-timeout', '2000']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('postgres://admin:****@127.0.0.1:1/db');
    expect(JSON.parse(refused.stdout).error.code).toBe('CONNECTION_FAILED');
    const verbose = await runCli(['status', '-v', '-s', `postgres://admin:${password}@127.0.0.1:1/db`]);
    for (const output of [badUrl, refused, verbose]) {
      expect(output.stdout + output.stderr).not.toContain(password);
    }
  });
});

describe('connection failures (exit 3, bounded, with the reason)', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let port: number;
  beforeAll(async () => {
    // Accepts TCP connections and never answers: the connect timeout must fire.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('a server that never answers: host unreachable within the connect timeout', async () => {
    const started = Date.now();
    const result = await runCli(['test', '-s', `postgres://postgres@127.0.0.1:${port}/db`, '--connect-timeout', '700']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('within the 700 ms connect timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('nothing listening: connection refused', async () => {
    const result = await runCli(['migrate', '-s', 'postgres://postgres@127.0.0.1:1/db']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('host unreachable: connection refused');
  });

  it('a database that does not exist: database missing', async () => {
    const url = new URL((await import('vitest')).inject('adminUrl'));
    url.pathname = '/persistor_no_such_database';
    const result = await runCli(['status', '-s', url.toString()]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('database missing: database "persistor_no_such_database" does not exist');
  });
});

describe.each(engines)('test command on %s', (engine) => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await createTestDatabase(engine);
  });
  afterEach(async () => {
    await target.drop();
  });

  it('reports version, database, user, create permission and latency', async () => {
    const result = await runCli([...target.cliArgs, 'test', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ engine, user: 'postgres', canCreate: true });
    expect(report.serverVersion).toMatch(engine === 'pglite' ? /^PostgreSQL 18\./ : /^PostgreSQL \d+/);
    expect(report.latencyMs).toBeGreaterThan(0);
    const human = await runCli([...target.cliArgs, 'test']);
    expect(human.stdout).toMatch(/connected to .*\n {2}server {6}PostgreSQL/);
    expect(human.stdout).not.toContain('\u001b[');
  });
});
