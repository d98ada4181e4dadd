/**
 * Restores a backup made by backup.ts, all or nothing.
 *
 * Server: pg_restore turns the archive into its SQL script (--clean
 * --if-exists --no-owner), and psql runs it in ONE transaction that first
 * drops the schemas the backup holds (objects made since would otherwise
 * stand in the way) and is committed only when the whole script ran: a
 * failed restore changes nothing.
 *
 * Embedded: PGlite creates a fresh data directory from the tarball
 * (loadDataDir) next to the target, the copy is opened and checked, and only
 * then swapped in by renaming, under the data-directory lock.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { acquireDataDirLock } from '../db/data-dir-lock.js';
import { createPglite, queryableOver } from '../db/pglite.js';
import type { Engine, Queryable } from '../db/database.js';
import { openPostgres } from '../db/postgres.js';
import { PersistorError, messageOf } from '../errors.js';
import { MANIFEST } from '../schema/manifest.js';
import { reapplyRoles } from '../schema/roles.js';
import { sqlFile } from '../sql-files.js';
import { isPgliteDataDir } from '../db/data-dir.js';
import { detectBackupFormat, serverVersion, type BackupConfig } from './backup.js';
import { findPgTools, openToolConnection, runPipeline, runTool, type ToolConnection } from './pg-tools.js';

/** Which backup to restore and whether it may replace a database that has the schema. */
export interface RestoreOptions {
  file: string;
  /** Replace a database that already holds the memberships schema or a journal. */
  force?: boolean;
  pgBin?: string;
}

/** The restore that was done and what the database holds afterwards. */
export interface RestoreResult {
  engine: Engine;
  target: string;
  file: string;
  /** The target held the memberships schema (or a journal) that the backup replaced. */
  replaced: boolean;
  /** Rows per table of schema ecliptix after the restore. */
  tables: { table: string; rows: number }[];
  durationMs: number;
  tool?: string;
  /** Server: the roles set up by `roles` were given their ownerships and grants again. */
  rolesReapplied?: boolean;
}

interface TargetState {
  ecliptix_tables: number;
  journal_exists: boolean;
}

async function targetState(db: Queryable): Promise<TargetState> {
  return (await db.query<TargetState>(sqlFile('operations/restore-target-state.sql'))).rows[0]!;
}

const TABLES = MANIFEST.filter((o) => o.kind === 'table').map((o) => o.name);

async function tableCounts(db: Queryable): Promise<RestoreResult['tables']> {
  const state = await targetState(db);
  if (state.ecliptix_tables === 0) return [];
  // Exact counts of every table (the restored copy is read once, and a restore is no hot path).
  const { rows } = await db
    .query<{ table_name: string; counts: number[] | null }>(sqlFile('operations/row-counts.sql'), [TABLES])
    .catch(() => ({ rows: [] }));
  return rows.map((r) => ({ table: r.table_name, rows: Number(r.counts?.[0] ?? 0) }));
}

function refuseWithoutForce(state: TargetState, target: string, force: boolean | undefined): boolean {
  const holdsData = state.ecliptix_tables > 0 || state.journal_exists;
  if (holdsData && !force) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `${target} already holds the memberships database (${state.ecliptix_tables} tables in schema ecliptix${state.journal_exists ? ', a migration journal' : ''}); restoring replaces it — add --force to do so`,
    );
  }
  return holdsData;
}

function wrongEngine(file: string, format: string, engine: Engine): PersistorError {
  return new PersistorError(
    'INVALID_ARGUMENT',
    engine === 'postgres'
      ? `${file} is a backup of an embedded (PGlite) database (${format}); restore it with --data-dir, not to a server`
      : `${file} is a pg_dump archive of a PostgreSQL server; restore it to a server with --database-url, not to the embedded database`,
  );
}

async function restoreServer(config: BackupConfig & { databaseUrl: string }, options: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const server = await serverVersion(config.databaseUrl, config.connectTimeoutMs);
  const tools = await findPgTools(server.major, options.pgBin);

  const listed = await runTool(tools.pgRestore, ['--list', options.file]);
  if (listed.code !== 0) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `${options.file} cannot be read by ${tools.pgRestore} (${tools.version}): ${listed.stderr.split('\n')[0] ?? ''}`,
      {
        details: listed.stderr.split('\n').slice(1).filter(Boolean),
      },
    );
  }

  // The schemas the backup holds: dropped whole, in the restore's transaction, before it re-creates them.
  const schemas = [...listed.stdout.matchAll(/^\d+; \d+ \d+ SCHEMA - (\S+) /gm)].map((m) => m[1]!).filter((name) => name !== 'public');

  const db = await openPostgres({ databaseUrl: config.databaseUrl, connectTimeoutMs: config.connectTimeoutMs, maxConnections: 1 });
  let connection: ToolConnection | undefined;
  try {
    connection = await openToolConnection(config.databaseUrl, config.connectTimeoutMs);
    const replaced = refuseWithoutForce(await targetState(db), server.target, options.force);
    // One transaction, opened here and committed only when pg_restore produced its whole script:
    // any failure (a damaged archive, a missing role for a GRANT) leaves the database as it was.
    const { producer, consumer } = await runPipeline(
      { program: tools.pgRestore, args: ['--clean', '--if-exists', '--no-owner', '--file=-', options.file] },
      {
        program: tools.psql,
        args: [
          '-X',
          '-q',
          '--no-password',
          '-v',
          'ON_ERROR_STOP=1',
          '-v',
          `schemas=${schemas.join(',')}`,
          `--dbname=${connection.url}`,
          '-f',
          '-',
        ],
        env: { ...connection.env, PGOPTIONS: '-c client_min_messages=warning' },
      },
      `BEGIN;\n${sqlFile('operations/restore-drop-schemas.sql')}\n`,
      'COMMIT;\n',
      connection.secrets,
    );
    if (producer.code !== 0 || consumer.code !== 0) {
      const details = [...producer.stderr.split('\n'), ...consumer.stderr.split('\n')]
        .filter((line) => line && !/NOTICE:|DETAIL:|^drop cascades/.test(line))
        .slice(0, 12);
      const role = /role "([^"]+)" does not exist/.exec(consumer.stderr)?.[1];
      if (role)
        details.push(
          `the backup grants privileges to role ${role}, which this server does not have: create it first (or run \`ecliptix-persistor roles\`), then restore again`,
        );
      throw new PersistorError('RESTORE_FAILED', `restore failed and was rolled back: the database is as it was before`, { details });
    }
    // Restored without owners (the restoring user owns everything): give the least-privilege roles their objects back.
    const rolesReapplied = await db.transaction((tx) => reapplyRoles(tx));
    return {
      engine: 'postgres',
      target: server.target,
      file: options.file,
      replaced,
      tables: await tableCounts(db),
      durationMs: Number((performance.now() - started).toFixed(1)),
      tool: `${tools.pgRestore} | ${tools.psql} (${tools.version})`,
      rolesReapplied,
    };
  } finally {
    await connection?.close();
    await db.close();
  }
}

async function restoreEmbedded(config: BackupConfig, options: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const dataDir = resolve(config.dataDir);
  const target = `pglite:${dataDir}`;
  await mkdir(dirname(dataDir), { recursive: true });
  const lock = await acquireDataDirLock(dataDir, config.lockTimeoutMs);
  const staging = join(dirname(dataDir), `.${basename(dataDir)}.restoring-${process.pid}`);
  const aside = join(dirname(dataDir), `.${basename(dataDir)}.replaced-${process.pid}`);
  try {
    // Any database in the directory counts (opening it to look inside would cost as much as the restore).
    const replaced = isPgliteDataDir(dataDir);
    if (replaced && !options.force) {
      throw new PersistorError('INVALID_ARGUMENT', `${target} already holds a database; restoring replaces it — add --force to do so`);
    }

    // Build the restored copy beside the target and check it before touching the target.
    await rm(staging, { recursive: true, force: true });
    let tables: RestoreResult['tables'];
    try {
      // Unpacked here first: a damaged archive is then an error of ours, not a failure inside PGlite's own stream.
      const archive = new Blob([gunzipSync(await readFile(options.file))]);
      const restored = await createPglite(staging, { loadDataDir: archive });
      try {
        await restored.query('SELECT 1');
        tables = await tableCounts(queryableOver(restored));
      } finally {
        await restored.close();
      }
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw new PersistorError(
        'RESTORE_FAILED',
        `restore failed: ${options.file} does not load as a PGlite database (${messageOf(error)}); ${dataDir} was not changed`,
        { cause: error },
      );
    }

    // Swap: the old directory is moved aside first and removed only once the new one is in place.
    if (existsSync(dataDir)) await rename(dataDir, aside);
    try {
      await rename(staging, dataDir);
    } catch (error) {
      if (existsSync(aside)) await rename(aside, dataDir);
      throw new PersistorError(
        'RESTORE_FAILED',
        `restore failed while moving the restored database into place: ${messageOf(error)}; ${dataDir} was not changed`,
        { cause: error },
      );
    }
    await rm(aside, { recursive: true, force: true });
    return { engine: 'pglite', target, file: options.file, replaced, tables, durationMs: Number((performance.now() - started).toFixed(1)) };
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    await lock.release();
  }
}

/** Restores `options.file` into the configured database (server when databaseUrl is set, else the embedded directory). */
export async function restoreDatabase(config: BackupConfig, options: RestoreOptions): Promise<RestoreResult> {
  const file = resolve(options.file);
  const format = await detectBackupFormat(file);
  const engine: Engine = config.databaseUrl ? 'postgres' : 'pglite';
  if ((format === 'pg_dump-custom') !== (engine === 'postgres')) throw wrongEngine(file, format, engine);
  const resolved = { ...options, file };
  return config.databaseUrl ? restoreServer({ ...config, databaseUrl: config.databaseUrl }, resolved) : restoreEmbedded(config, resolved);
}
