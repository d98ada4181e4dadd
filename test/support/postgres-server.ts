/**
 * A PostgreSQL server for the tests: TEST_DATABASE_URL when set, else the
 * local server at 127.0.0.1:5432 (user postgres), else a throw-away server
 * started here from the machine's PostgreSQL binaries. When none can be had
 * the suite fails, saying so — real-server tests are never silently skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestServer {
  adminUrl: string;
  stop(): Promise<void>;
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The newest PostgreSQL server binaries' directory (initdb, pg_ctl, pg_dump, pg_restore). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const version = (existsSync(root) ? readdirSync(root) : [])
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
  return join(root, version, 'bin');
}

/**
 * A throw-away server this process started (initdb in a temporary directory,
 * trust authentication, a random port): it may be restarted (the fault tests
 * do), halted and started again (a partition that goes down), and stopped for
 * good (`stop`, which removes it).
 */
export interface ThrowawayServer extends TestServer {
  /** pg_ctl restart, without blocking the event loop; resolves once it accepts connections again. */
  restart(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** pg_ctl stop -m fast, keeping its data for {@link start}. */
  halt(): void;
  /** Starts a halted server again. */
  start(): void;
}

/** Starts a throw-away server; `settings` (`-c name=value`) go over max_connections = 200 and initdb's defaults. Used by bench/ too. */
export async function startThrowawayServer(settings: Record<string, string> = {}): Promise<ThrowawayServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'persistor-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = 20000 + Math.floor(Math.random() * 20000);
  // initdb refuses to run as root: run the server as the postgres user then.
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const run = (command: string, args: string[]) => {
    const [program, ...rest] = [...asUser, command, ...args];
    const result = spawnSync(program!, rest, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${(result.stderr || result.stdout).trim()}`);
  };
  const options = [
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    ...Object.entries({ max_connections: '200', ...settings }).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  const start = () => run(join(bin, 'pg_ctl'), ['-D', dataDir, '-o', options, '-w', '-l', join(dir, 'log'), 'start']);
  try {
    run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    halt: () => run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']),
    start,
    restart(mode = 'fast') {
      const [program, ...rest] = [
        ...asUser,
        join(bin, 'pg_ctl'),
        '-D',
        dataDir,
        '-o',
        options,
        '-m',
        mode,
        '-w',
        '-l',
        join(dir, 'log'),
        'restart',
      ];
      return new Promise((resolve, reject) => {
        const child = spawn(program!, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl restart failed: ${stderr}`))));
      });
    },
    async stop() {
      try {
        run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']);
      } catch {
        // not running
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export async function obtainTestServer(): Promise<TestServer> {
  const candidates = [process.env.TEST_DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/postgres'].filter((u): u is string => !!u);
  for (const url of candidates) {
    if (await reachable(url)) return { adminUrl: url, stop: async () => undefined };
  }
  try {
    return await startThrowawayServer();
  } catch (error) {
    throw new Error(
      `No PostgreSQL server for the real-server tests: tried ${candidates.join(', ')} and starting a throw-away server (${(error as Error).message}). ` +
        'Set TEST_DATABASE_URL to a server where this user may create databases.',
      { cause: error },
    );
  }
}
