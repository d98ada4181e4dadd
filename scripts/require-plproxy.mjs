#!/usr/bin/env node
/**
 * Run by `npm test` before vitest: the cluster tests (test/cluster) need
 * PL/Proxy on the test server, and are never skipped. Finds the server's major
 * version (SHOW server_version_num on TEST_DATABASE_URL or 127.0.0.1:5432, else
 * `pg_config --version`, else `psql --version`), then checks for
 * /usr/share/postgresql/<major>/extension/plproxy.control. When it is missing:
 * as root with apt-get, runs `apt-get update && apt-get install -y
 * postgresql-<major>-plproxy`; otherwise exits 1 at once naming that command.
 *
 * PLPROXY_PG_MAJOR=<n> names the major version instead of asking (for a server
 * the tests start themselves, or to try this script).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';

const SERVER_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function majorFromServer() {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query('SHOW server_version_num');
    return Math.floor(Number(rows[0].server_version_num) / 10000);
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function majorFromTool(tool) {
  try {
    const text = execFileSync(tool, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const match = /(\d+)(?:\.\d+)?/.exec(text.replace(/^[^\d]*/, ''));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function fail(message) {
  process.stderr.write(`require-plproxy: ${message}\n`);
  process.exit(1);
}

const forced = process.env.PLPROXY_PG_MAJOR;
const major = forced ? Number(forced) : ((await majorFromServer()) ?? majorFromTool('pg_config') ?? majorFromTool('psql'));
if (!Number.isInteger(major) || major < 9) {
  fail(
    'cannot tell the PostgreSQL major version: no server answered at ' +
      SERVER_URL.replace(/:[^:@/]*@/, ':****@') +
      ', and neither pg_config nor psql is installed',
  );
}

const control = `/usr/share/postgresql/${major}/extension/plproxy.control`;
const installCommand = `apt-get update && apt-get install -y postgresql-${major}-plproxy`;
if (existsSync(control)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasAptGet) {
  fail(
    `PL/Proxy is not installed for PostgreSQL ${major} (${control} is missing); the cluster tests need it. ` +
      `Install it with: ${isRoot ? '' : 'sudo sh -c "'}${installCommand}${isRoot ? '' : '"'}`,
  );
}

process.stderr.write(`require-plproxy: PL/Proxy is missing for PostgreSQL ${major}; running: ${installCommand}\n`);
const install = spawnSync('sh', ['-c', installCommand], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
if (install.status !== 0 || !existsSync(control)) {
  fail(`could not install PL/Proxy for PostgreSQL ${major} (${installCommand} exited ${install.status}); the cluster tests need it`);
}
process.stderr.write(`require-plproxy: installed postgresql-${major}-plproxy\n`);
