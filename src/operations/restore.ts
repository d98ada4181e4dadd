/**
 * Restores a backup made by backup.ts, all or nothing.
 *
 * Server: `pg_restore --clean --if-exists --single-transaction
 * --exit-on-error --no-owner`: the objects in the archive are dropped and
 * re-created with their data in one transaction, so a failed restore changes
 * nothing.
 *
 * Embedded: PGlite creates a fresh data directory from the tarball
 * (loadDataDir) next to the target, the copy is opened and checked, and only
 * then swapped in by renaming, under the data-directory lock.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import { acquireDataDirLock } from '../db/data-dir-lock.js';
import type { Engine, Queryable } from '../db/database.js';
import { openPostgres } from '../db/postgres.js';
import { PersistorError, messageOf } from '../errors.js';
import { sqlFile } from '../sql-files.js';
import { detectBackupFormat, isPgliteDataDir, serverVersion, type BackupConfig } from './backup.js';
import { findPgTools, runTool, toolConnection } from './pg-tools.js';

export interface RestoreOptions {
  file: string;
  /** Replace a database that already holds the memberships schema or a journal. */
  force?: boolean;
  pgBin?: string;
}

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
}

interface TargetState {
  ecliptix_tables: number;
  journal_exists: boolean;
}

/** A PGlite instance opened here (not through the driver) as a Queryable. */
function queryableOf(pglite: PGlite): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await pglite.query<Row>(sql, [...params]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(script: string) {
      await pglite.exec(script);
    },
  };
}

async function targetState(db: Queryable): Promise<TargetState> {
  return (await db.query<TargetState>(sqlFile('operations/restore-target-state.sql'))).rows[0]!;
}

async function tableCounts(db: Queryable): Promise<RestoreResult['tables']> {
  const state = await targetState(db);
  if (state.ecliptix_tables === 0) return [];
  const { rows } = await db.query<{ table_name: string; total: number }>(sqlFile('operations/row-counts.sql')).catch(() => ({ rows: [] }));
  return rows.map((r) => ({ table: r.table_name, rows: Number(r.total) }));
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
  const connection = toolConnection(config.databaseUrl, config.connectTimeoutMs);

  const listed = await runTool(tools.pgRestore, ['--list', options.file]);
  if (listed.code !== 0) {
    throw new PersistorError('INVALID_ARGUMENT', `${options.file} cannot be read by ${tools.pgRestore} (${tools.version}): ${listed.stderr.split('\n')[0] ?? ''}`, {
      details: listed.stderr.split('\n').slice(1).filter(Boolean),
    });
  }

  const db = await openPostgres({ databaseUrl: config.databaseUrl, connectTimeoutMs: config.connectTimeoutMs, maxConnections: 1 });
  try {
    const replaced = refuseWithoutForce(await targetState(db), server.target, options.force);
    const result = await runTool(
      tools.pgRestore,
      ['--clean', '--if-exists', '--single-transaction', '--exit-on-error', '--no-owner', '--no-password', `--dbname=${connection.url}`, options.file],
      connection.env,
      [connection.password],
    );
    if (result.code !== 0) {
      const details = result.stderr.split('\n').filter(Boolean).slice(0, 12);
      if (/depends on/.test(result.stderr)) details.push('objects that are not in the backup stand in the way: drop them, or restore into an empty database');
      throw new PersistorError('RESTORE_FAILED', `restore failed and was rolled back: the database is as it was before (${tools.pgRestore} exited with ${result.code})`, { details });
    }
    return {
      engine: 'postgres',
      target: server.target,
      file: options.file,
      replaced,
      tables: await tableCounts(db),
      durationMs: Number((performance.now() - started).toFixed(1)),
      tool: `${tools.pgRestore} (${tools.version})`,
    };
  } finally {
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
    let replaced = false;
    if (isPgliteDataDir(dataDir)) {
      const current = await PGlite.create(dataDir).catch((error: unknown) => {
        throw new PersistorError('CONNECTION_FAILED', `cannot open the embedded database at ${dataDir}: ${messageOf(error)}`, { cause: error });
      });
      try {
        replaced = refuseWithoutForce(await targetState(queryableOf(current)), target, options.force);
      } finally {
        await current.close();
      }
    }

    // Build the restored copy beside the target and check it before touching the target.
    await rm(staging, { recursive: true, force: true });
    let tables: RestoreResult['tables'];
    try {
      const archive = new Blob([await readFile(options.file)]);
      const restored = await PGlite.create(staging, { loadDataDir: archive });
      try {
        await restored.query('SELECT 1');
        tables = await tableCounts(queryableOf(restored));
      } finally {
        await restored.close();
      }
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw new PersistorError('RESTORE_FAILED', `restore failed: ${options.file} does not load as a PGlite database (${messageOf(error)}); ${dataDir} was not changed`, { cause: error });
    }

    // Swap: the old directory is moved aside first and removed only once the new one is in place.
    if (existsSync(dataDir)) await rename(dataDir, aside);
    try {
      await rename(staging, dataDir);
    } catch (error) {
      if (existsSync(aside)) await rename(aside, dataDir);
      throw new PersistorError('RESTORE_FAILED', `restore failed while moving the restored database into place: ${messageOf(error)}; ${dataDir} was not changed`, { cause: error });
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
