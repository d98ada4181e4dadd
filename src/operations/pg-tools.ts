/**
 * The PostgreSQL client tools backup and restore use: pg_dump and pg_restore
 * of the server's major version (/usr/lib/postgresql/<major>/bin, the Debian
 * and Ubuntu layout), else the ones on PATH or in a newer installed version —
 * pg_dump refuses servers newer than itself, so never an older one.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { PersistorError } from '../errors.js';
import { passwordOf, passwordsOf, redact, sslPasswordOf, withoutPasswords } from '../util/redact.js';

/** The PostgreSQL client programs found for a server's major version. */
export interface PgTools {
  pgDump: string;
  pgRestore: string;
  psql: string;
  /** Major version of the tools. */
  major: number;
  version: string;
}

const POSTGRESQL_LIB = '/usr/lib/postgresql';

/** How a client program ended and what it printed. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool without a shell; the password goes in the environment, never on the command line.
 * `options.stdout`: a file descriptor the tool writes its output to (instead of collecting it).
 */
export function runTool(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  secrets: readonly (string | undefined)[] = [],
  options: { stdout?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => reject(new PersistorError('TOOL_MISSING', `cannot run ${program}: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: redact(stdout, secrets), stderr: redact(stderr, secrets).trim() }),
    );
  });
}

async function versionOf(program: string): Promise<{ major: number; version: string } | undefined> {
  try {
    const { code, stdout } = await runTool(program, ['--version']);
    const match = /\(PostgreSQL\)\s+(\d+)(\.\d+)?/.exec(stdout);
    if (code !== 0 || !match) return undefined;
    return { major: Number(match[1]), version: `${match[1]}${match[2] ?? ''}` };
  } catch {
    return undefined;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function installedMajors(): number[] {
  if (!existsSync(POSTGRESQL_LIB)) return [];
  return readdirSync(POSTGRESQL_LIB)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * pg_dump and pg_restore for a server of major version `serverMajor`: from
 * `binDir` when given, else /usr/lib/postgresql/<serverMajor>/bin, else PATH
 * (if not older than the server), else the oldest newer installed version.
 */
export async function findPgTools(serverMajor: number, binDir?: string): Promise<PgTools> {
  const candidates: string[] = [];
  if (binDir) candidates.push(binDir);
  else {
    candidates.push(join(POSTGRESQL_LIB, String(serverMajor), 'bin'));
    const pathDump = onPath('pg_dump');
    if (pathDump) candidates.push(dirname(pathDump));
    for (const major of installedMajors().filter((m) => m > serverMajor)) candidates.push(join(POSTGRESQL_LIB, String(major), 'bin'));
  }
  const seen: string[] = [];
  for (const dir of candidates) {
    const pgDump = join(dir, 'pg_dump');
    const pgRestore = join(dir, 'pg_restore');
    const psql = join(dir, 'psql');
    if (!existsSync(pgDump) || !existsSync(pgRestore) || !existsSync(psql)) {
      if (binDir) seen.push(`${dir} does not hold pg_dump, pg_restore and psql`);
      continue;
    }
    const version = await versionOf(pgDump);
    if (!version) {
      seen.push(`${pgDump} does not report a version`);
      continue;
    }
    if (version.major < serverMajor) {
      seen.push(`${pgDump} is version ${version.version}, older than the server`);
      continue;
    }
    return { pgDump, pgRestore, psql, major: version.major, version: version.version };
  }
  throw new PersistorError(
    'TOOL_MISSING',
    `no pg_dump/pg_restore/psql for PostgreSQL ${serverMajor} found (looked in ${binDir ?? `${POSTGRESQL_LIB}/${serverMajor}/bin, PATH and newer versions under ${POSTGRESQL_LIB}`})`,
    {
      details: [
        ...seen,
        `install the PostgreSQL ${serverMajor} client tools (e.g. apt-get install postgresql-client-${serverMajor}), or point --pg-bin at their directory`,
      ],
    },
  );
}

/**
 * Feeds `producer`'s standard output to `consumer`'s standard input between
 * `head` and `tail`, and writes `tail` only when the producer succeeded: a
 * producer that fails part-way (a damaged archive) never gets its partial
 * output committed — the consumer sees the end of its input inside an open
 * transaction, which the server rolls back.
 */
export function runPipeline(
  producer: { program: string; args: readonly string[] },
  consumer: { program: string; args: readonly string[]; env?: NodeJS.ProcessEnv },
  head: string,
  tail: string,
  secrets: readonly (string | undefined)[] = [],
): Promise<{ producer: RunResult; consumer: RunResult }> {
  return new Promise((resolve, reject) => {
    const from = spawn(producer.program, producer.args, { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const to = spawn(consumer.program, consumer.args, { env: { ...process.env, ...consumer.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = { from: '', to: '', toOut: '' };
    from.stderr.on('data', (chunk: Buffer) => (out.from += chunk.toString()));
    to.stderr.on('data', (chunk: Buffer) => (out.to += chunk.toString()));
    to.stdout.on('data', (chunk: Buffer) => (out.toOut += chunk.toString()));
    to.stdin.on('error', () => undefined); // the consumer stopped reading (it failed): reported by its exit code
    let fromCode: number | undefined;
    let toCode: number | undefined;
    const finish = () => {
      if (fromCode === undefined || toCode === undefined) return;
      resolve({
        producer: { code: fromCode, stdout: '', stderr: redact(out.from, secrets).trim() },
        consumer: { code: toCode, stdout: redact(out.toOut, secrets), stderr: redact(out.to, secrets).trim() },
      });
    };
    from.on('error', (error) =>
      reject(new PersistorError('TOOL_MISSING', `cannot run ${producer.program}: ${error.message}`, { cause: error })),
    );
    to.on('error', (error) =>
      reject(new PersistorError('TOOL_MISSING', `cannot run ${consumer.program}: ${error.message}`, { cause: error })),
    );
    to.stdin.write(head);
    from.stdout.pipe(to.stdin, { end: false });
    from.on('close', (code) => {
      fromCode = code ?? 1;
      if (fromCode === 0) to.stdin.end(tail);
      else to.stdin.end();
      finish();
    });
    to.on('close', (code) => {
      toCode = code ?? 1;
      if (fromCode === undefined) from.kill();
      finish();
    });
  });
}

/** How a tool connects: nothing secret on its command line. */
export interface ToolConnection {
  /** For --dbname: the database URL with every password taken out (user info, `password` and `sslpassword` parameters). */
  url: string;
  /** PGCONNECT_TIMEOUT; PGPASSWORD for the password; PGSERVICEFILE and PGSERVICE naming a private file for an sslpassword. */
  env: NodeJS.ProcessEnv;
  /** What to scrub from the tools' output. */
  secrets: string[];
  /** Removes the private service file, if one was written. */
  close(): Promise<void>;
}

const SERVICE_NAME = 'ecliptix-persistor';

/**
 * Connection details for the client tools. A command line is visible to every
 * user of the machine (`ps`), so the password goes in PGPASSWORD (the
 * environment is readable only by the same user), and an `sslpassword` — libpq
 * reads it from no environment variable — in a connection service file of mode
 * 0600 in a private directory, removed by close(). (A URL that names its own
 * `service` takes precedence over that file.)
 */
export async function openToolConnection(databaseUrl: string, connectTimeoutMs: number): Promise<ToolConnection> {
  const password = passwordOf(databaseUrl);
  const sslPassword = sslPasswordOf(databaseUrl);
  const env: NodeJS.ProcessEnv = { PGCONNECT_TIMEOUT: String(Math.max(2, Math.ceil(connectTimeoutMs / 1000))) };
  if (password !== undefined) env.PGPASSWORD = password;
  let serviceDir: string | undefined;
  if (sslPassword !== undefined) {
    if (/[\r\n]/.test(sslPassword))
      throw new PersistorError(
        'INVALID_CONFIG',
        'invalid configuration: the sslpassword of the database URL must not contain a line break',
      );
    serviceDir = await mkdtemp(join(tmpdir(), 'ecliptix-pg-service-')); // mode 0700
    const serviceFile = join(serviceDir, 'pg_service.conf');
    await writeFile(serviceFile, `[${SERVICE_NAME}]\nsslpassword=${sslPassword}\n`, { mode: 0o600, flag: 'wx' });
    env.PGSERVICEFILE = serviceFile;
    env.PGSERVICE = SERVICE_NAME;
  }
  return {
    url: withoutPasswords(databaseUrl),
    env,
    secrets: passwordsOf(databaseUrl),
    close: async () => {
      if (serviceDir) await rm(serviceDir, { recursive: true, force: true });
    },
  };
}
