/**
 * A PostgreSQL server for the tests: TEST_DATABASE_URL when set, else the
 * local server at 127.0.0.1:5432 (user postgres), else a throw-away server
 * started here from the machine's PostgreSQL binaries. When none can be had
 * the suite fails, saying so — real-server tests are never silently skipped.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
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

function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

/** A throw-away server this process started: it may also be restarted (the fault tests do). */
export interface ThrowawayServer extends TestServer {
  /** pg_ctl restart, without blocking the event loop; resolves once it accepts connections again. */
  restart(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
}

export async function startThrowawayServer(): Promise<ThrowawayServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'persistor-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = 20000 + Math.floor(Math.random() * 20000);
  // initdb refuses to run as root: run the server as the postgres user then.
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const run = (command: string, args: string[]) => {
    const [program, ...rest] = [...asUser, command, ...args];
    const result = spawnSync(program!, rest, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  run(join(bin, 'pg_ctl'), ['-D', dataDir, '-o', options, '-w', '-l', join(dir, 'log'), 'start']);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
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
        execFileSync(asUser[0] ?? join(bin, 'pg_ctl'), [
          ...asUser.slice(1),
          ...(asUser.length ? [join(bin, 'pg_ctl')] : []),
          '-D',
          dataDir,
          '-m',
          'immediate',
          'stop',
        ]);
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
