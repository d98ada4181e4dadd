/**
 * Backups that can really be restored: `pg_dump --format=custom` of the whole
 * database for a server (client tools matching the server, see pg-tools.ts),
 * and PGlite's own data-directory dump (dumpDataDir, a .tar.gz) for the
 * embedded database. A backup is written to `<file>.partial` and renamed when
 * complete, so a file with the final name is always a whole backup; existing
 * files are never overwritten. A backup is readable by its owner only: the file
 * is created 0600 before any data goes in (pg_dump writes to it through its
 * standard output), and a backup directory that has to be created is 0700.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PGlite } from '@electric-sql/pglite';
import type { Config } from '../config/schema.js';
import { acquireDataDirLock } from '../db/data-dir-lock.js';
import { openPostgres } from '../db/postgres.js';
import type { Engine } from '../db/database.js';
import { PersistorError, messageOf } from '../errors.js';
import { sqlFile } from '../sql-files.js';
import { findPgTools, openToolConnection, runTool } from './pg-tools.js';
import { isPgliteDataDir } from '../db/data-dir.js';

/** Backups are copies of the memberships database: readable by their owner only. */
const PRIVATE_FILE = 0o600;
const PRIVATE_DIRECTORY = 0o700;

/** What a backup file holds: a pg_dump custom archive (server) or a tar.gz of the PGlite data directory (embedded). */
export type BackupFormat = 'pg_dump-custom' | 'pglite-datadir';

/** The backup that was written. */
export interface BackupResult {
  engine: Engine;
  /** The database backed up (password masked). */
  target: string;
  file: string;
  format: BackupFormat;
  bytes: number;
  durationMs: number;
  /** pg_dump used (server backups). */
  tool?: string;
  serverVersion?: string;
}

/** Where the backup goes and which PostgreSQL tools make it. */
export interface BackupOptions {
  /** Where to write; default <backupDir>/<timestamp>.dump|.tar.gz. */
  output?: string;
  /** Directory of pg_dump/pg_restore, instead of searching. */
  pgBin?: string;
}

/** The configuration a backup or restore reads: which database and the default backup directory. */
export type BackupConfig = Pick<Config, 'databaseUrl' | 'dataDir' | 'connectTimeoutMs' | 'lockTimeoutMs' | 'backupDir'>;

function extensionFor(engine: Engine): string {
  return engine === 'postgres' ? '.dump' : '.tar.gz';
}

/** <backupDir>/2025-01-31T12-00-00-000Z.dump (or .tar.gz): sorts by time, safe in every file system. */
function defaultBackupFile(backupDir: string, engine: Engine, now = new Date()): string {
  return resolve(backupDir, `${now.toISOString().replace(/[:.]/g, '-')}${extensionFor(engine)}`);
}

function refuseExisting(file: string): void {
  if (existsSync(file))
    throw new PersistorError('INVALID_ARGUMENT', `${file} already exists: backups are never overwritten (choose another --output)`);
}

/**
 * Creates `<file>.partial` for writing, mode 0600 from the first byte (nobody
 * else may read a copy of the memberships database); a backup directory that
 * has to be created is created 0700. Existing directories are left as they are.
 */
async function prepareOutput(file: string): Promise<{ partial: string; handle: FileHandle }> {
  refuseExisting(file);
  try {
    await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIRECTORY });
  } catch (error) {
    throw new PersistorError('INVALID_ARGUMENT', `cannot create the backup directory ${dirname(file)}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const partial = `${file}.partial`;
  await rm(partial, { force: true });
  let handle: FileHandle;
  try {
    // Exclusive: never opens a file (or a link) someone else put there.
    handle = await open(partial, 'wx', PRIVATE_FILE);
  } catch (error) {
    throw new PersistorError('INVALID_ARGUMENT', `cannot create the backup file ${partial}: ${messageOf(error)}`, { cause: error });
  }
  await handle.chmod(PRIVATE_FILE); // the umask can only have taken bits away; make it exactly 0600
  return { partial, handle };
}

/** Writes the backup's data to disk, closes it and gives it its final name. */
async function finish(handle: FileHandle, partial: string, file: string): Promise<number> {
  await handle.sync();
  await handle.close();
  await rename(partial, file);
  return (await stat(file)).size;
}

async function discard(handle: FileHandle, partial: string): Promise<void> {
  await handle.close().catch(() => undefined);
  await rm(partial, { force: true });
}

/** The server's version (text and major number) for choosing pg_dump/pg_restore of the same major version or newer. */
export async function serverVersion(
  databaseUrl: string,
  connectTimeoutMs: number,
): Promise<{ major: number; version: string; target: string }> {
  const db = await openPostgres({ databaseUrl, connectTimeoutMs, maxConnections: 1 });
  try {
    const row = (await db.query<{ version_num: number; version: string }>(sqlFile('operations/server-version.sql'))).rows[0]!;
    return { major: Math.floor(row.version_num / 10_000), version: row.version, target: db.target };
  } finally {
    await db.close();
  }
}

async function backupServer(
  config: BackupConfig & { databaseUrl: string },
  file: string,
  pgBin: string | undefined,
): Promise<BackupResult> {
  const started = performance.now();
  const server = await serverVersion(config.databaseUrl, config.connectTimeoutMs);
  const tools = await findPgTools(server.major, pgBin);
  const connection = await openToolConnection(config.databaseUrl, config.connectTimeoutMs);
  const { partial, handle } = await prepareOutput(file).catch(async (error: unknown) => {
    await connection.close();
    throw error;
  });
  let bytes: number;
  try {
    // pg_dump writes to our 0600 file through its standard output (a regular file: seekable, so the archive
    // keeps its data offsets), and finds the password in its environment, never on its command line.
    const result = await runTool(
      tools.pgDump,
      ['--format=custom', '--no-password', `--dbname=${connection.url}`],
      connection.env,
      connection.secrets,
      {
        stdout: handle.fd,
      },
    );
    if (result.code !== 0) {
      throw new PersistorError('BACKUP_FAILED', `backup failed: ${tools.pgDump} exited with ${result.code}; no backup was written`, {
        details: result.stderr.split('\n').filter(Boolean),
      });
    }
    bytes = await finish(handle, partial, file);
  } catch (error) {
    await discard(handle, partial);
    throw error;
  } finally {
    await connection.close();
  }
  return {
    engine: 'postgres',
    target: server.target,
    file,
    format: 'pg_dump-custom',
    bytes,
    durationMs: Number((performance.now() - started).toFixed(1)),
    tool: `${tools.pgDump} (${tools.version})`,
    serverVersion: server.version,
  };
}

async function backupEmbedded(config: BackupConfig, file: string): Promise<BackupResult> {
  const started = performance.now();
  const dataDir = resolve(config.dataDir);
  if (!isPgliteDataDir(dataDir)) {
    throw new PersistorError(
      'CONNECTION_FAILED',
      `no embedded database at ${dataDir}: nothing to back up (run \`migrate\` first, or pass --data-dir)`,
    );
  }
  const lock = await acquireDataDirLock(dataDir, config.lockTimeoutMs);
  try {
    let pglite: PGlite;
    try {
      // Loaded here, not at start-up: a server's `migrate --backup` never needs the embedded engine.
      const { createPglite } = await import('../db/pglite.js');
      pglite = await createPglite(dataDir);
    } catch (error) {
      throw new PersistorError('CONNECTION_FAILED', `cannot open the embedded database at ${dataDir}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    try {
      const { partial, handle } = await prepareOutput(file);
      let bytes: number;
      try {
        const archive = await pglite.dumpDataDir('gzip');
        await handle.writeFile(Buffer.from(await archive.arrayBuffer()));
        bytes = await finish(handle, partial, file);
      } catch (error) {
        await discard(handle, partial);
        throw new PersistorError('BACKUP_FAILED', `backup failed: ${messageOf(error)}; no backup was written`, { cause: error });
      }
      return {
        engine: 'pglite',
        target: `pglite:${dataDir}`,
        file,
        format: 'pglite-datadir',
        bytes,
        durationMs: Number((performance.now() - started).toFixed(1)),
      };
    } finally {
      await pglite.close().catch(() => undefined);
    }
  } finally {
    await lock.release();
  }
}

/** Backs up the configured database (server when databaseUrl is set, else the embedded directory). */
export async function backupDatabase(config: BackupConfig, options: BackupOptions = {}): Promise<BackupResult> {
  const engine: Engine = config.databaseUrl ? 'postgres' : 'pglite';
  const file = options.output ? resolve(options.output) : defaultBackupFile(config.backupDir, engine);
  refuseExisting(file); // before connecting or opening anything
  return config.databaseUrl
    ? backupServer({ ...config, databaseUrl: config.databaseUrl }, file, options.pgBin)
    : backupEmbedded(config, file);
}

/** What a backup file is, from its first bytes: a pg_dump custom archive ("PGDMP") or a gzip (PGlite data directory). */
export async function detectBackupFormat(file: string): Promise<BackupFormat> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `cannot read backup ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(error)}`,
    );
  }
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await handle.read(head, 0, 5, 0);
    if (bytesRead === 5 && head.toString('latin1') === 'PGDMP') return 'pg_dump-custom';
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'pglite-datadir';
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `${file} is not a backup made by this tool (neither a pg_dump custom archive nor a PGlite .tar.gz)`,
    );
  } finally {
    await handle.close();
  }
}
