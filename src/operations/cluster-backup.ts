/**
 * `backup` on a PL/Proxy cluster (docs/SCALE-OUT.md): one restorable
 * `pg_dump --format=custom` per partition and one of the proxy, into one
 * directory (default `<backupDir>/<timestamp>-cluster/`):
 *
 *   p0.dump, p1.dump, …   each partition, in partition order
 *   proxy.dump            the proxy (its routines, cluster definition, clock)
 *   manifest.json         the partition order, each partition's identity
 *                         (ecliptix_partition.identity), files and sizes
 *
 * Each file is the single-database backup of backup.ts (0600, written whole
 * or not at all), so one partition's file is restored with the ordinary
 * `restore <file>` — which is how a partition is moved to another server.
 * With `partitions`, only those partitions (no proxy): the copy step of a
 * partition move. The directory is written as `<dir>.partial` and renamed when every file
 * and the manifest are there: a directory with the final name is a whole
 * backup; a failure removes the partial one and names the database.
 *
 * The dumps are taken one after another, each a consistent snapshot of its
 * own database: every row of a phone lives on one partition, so each phone's
 * rows are consistent; across partitions the files are minutes apart (a
 * device row copied to another partition meanwhile is a copy the next call
 * makes again).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ClusterConfig } from '../config/cluster.js';
import { openPostgres } from '../db/postgres.js';
import { PersistorError, isPersistorError, messageOf } from '../errors.js';
import { readIdentity } from '../cluster/identity.js';
import { maskDatabaseUrl } from '../util/redact.js';
import { backupDatabase, type BackupConfig } from './backup.js';

/** Where the cluster's backup goes and which PostgreSQL tools make it. */
export interface ClusterBackupOptions {
  /** The directory to create; default <backupDir>/<timestamp>-cluster. Never an existing one. */
  output?: string;
  /** Directory of pg_dump/pg_restore, instead of searching. */
  pgBin?: string;
  /**
   * Back up only these partitions (by index), and not the proxy: what moving a
   * partition to another server needs, without dumping the others while its
   * phones wait. Default: every partition and the proxy.
   */
  partitions?: readonly number[];
}

/** The configuration a cluster backup reads. */
export type ClusterBackupConfig = Pick<BackupConfig, 'connectTimeoutMs' | 'lockTimeoutMs' | 'backupDir' | 'dataDir'> & {
  cluster: ClusterConfig;
};

/** One database's file in a cluster backup. */
export interface ClusterBackupFile {
  /** The file name inside the backup directory. */
  file: string;
  /** The database backed up (password masked). */
  target: string;
  bytes: number;
  durationMs: number;
  serverVersion?: string;
  tool?: string;
}

/** manifest.json of a cluster backup. */
export interface ClusterBackupManifest {
  format: 'ecliptix-persistor-cluster-backup';
  version: 1;
  createdAt: string;
  partitionCount: number;
  /** In partition order: p<index>.dump holds partition `index` (its identity says so too). Only the ones asked for with `partitions`. */
  partitions: (ClusterBackupFile & { index: number; identity: { index: number; count: number } })[];
  /** Absent when only some partitions were backed up. */
  proxy?: ClusterBackupFile;
}

/** What {@link backupCluster} wrote. */
export interface ClusterBackupResult {
  directory: string;
  manifest: ClusterBackupManifest;
  /** Bytes of every file, the manifest included. */
  bytes: number;
  durationMs: number;
}

const MANIFEST_FILE = 'manifest.json';

function at(name: string, error: unknown): PersistorError {
  if (isPersistorError(error)) return new PersistorError(error.code, `${name}: ${error.message}`, { details: error.details, cause: error });
  return new PersistorError('BACKUP_FAILED', `${name}: ${messageOf(error)}`, { cause: error });
}

/** A partition's identity, which must be its place in the configuration (a misordered configuration would mislabel the files). */
async function identityOf(url: string, index: number, count: number, connectTimeoutMs: number): Promise<{ index: number; count: number }> {
  const db = await openPostgres({ databaseUrl: url, connectTimeoutMs, maxConnections: 1, applicationName: 'ecliptix-persistor backup' });
  try {
    const identity = await readIdentity(db);
    if (!identity)
      throw new PersistorError(
        'VALIDATION_FAILED',
        'it has no ecliptix_partition.identity: it was never deployed as a partition (deploy the cluster first)',
      );
    if (identity.index !== index || identity.count !== count)
      throw new PersistorError(
        'VALIDATION_FAILED',
        `this database is partition ${identity.index} of ${identity.count}, but the configuration lists it as partition ${index} of ${count}; nothing was backed up`,
      );
    return identity;
  } finally {
    await db.close();
  }
}

/** <backupDir>/2026-12-01T18-00-00-000Z-cluster. */
function defaultDirectory(backupDir: string, now: Date): string {
  return resolve(backupDir, `${now.toISOString().replace(/[:.]/g, '-')}-cluster`);
}

/**
 * Backs up every partition and the proxy into one new directory, with a
 * manifest; all or nothing, an error naming the database that failed.
 *
 * @example
 * ```ts
 * const result = await backupCluster({ cluster, backupDir: '.ecliptix/backups', connectTimeoutMs: 10_000, lockTimeoutMs: 60_000, dataDir: '.ecliptix/db' });
 * console.log(result.directory, result.manifest.partitions.map((p) => `${p.file}: ${p.bytes} bytes`));
 * ```
 */
export async function backupCluster(config: ClusterBackupConfig, options: ClusterBackupOptions = {}): Promise<ClusterBackupResult> {
  const started = performance.now();
  const count = config.cluster.partitions.length;
  const only = options.partitions ? [...new Set(options.partitions)].sort((a, b) => a - b) : undefined;
  for (const index of only ?? []) {
    if (!Number.isInteger(index) || index < 0 || index >= count)
      throw new PersistorError('INVALID_ARGUMENT', `--partition ${index}: the cluster has partitions 0 to ${count - 1}`);
  }
  if (only && only.length === 0) throw new PersistorError('INVALID_ARGUMENT', '--partition must name at least one partition');
  const now = new Date();
  const directory = options.output ? resolve(options.output) : defaultDirectory(config.backupDir, now);
  if (existsSync(directory))
    throw new PersistorError('INVALID_ARGUMENT', `${directory} already exists: backups are never overwritten (choose another --output)`);
  const partial = `${directory}.partial`;
  await rm(partial, { recursive: true, force: true });
  try {
    await mkdir(partial, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new PersistorError('INVALID_ARGUMENT', `cannot create the backup directory ${partial}: ${messageOf(error)}`, { cause: error });
  }
  const { cluster } = config;
  const dump = async (url: string, file: string): Promise<ClusterBackupFile> => {
    const result = await backupDatabase(
      { ...config, databaseUrl: url },
      { output: join(partial, file), ...(options.pgBin ? { pgBin: options.pgBin } : {}) },
    );
    return {
      file,
      target: result.target,
      bytes: result.bytes,
      durationMs: result.durationMs,
      ...(result.serverVersion ? { serverVersion: result.serverVersion } : {}),
      ...(result.tool ? { tool: result.tool } : {}),
    };
  };
  try {
    const partitions: ClusterBackupManifest['partitions'] = [];
    for (const [index, url] of cluster.partitions.entries()) {
      if (only && !only.includes(index)) continue;
      const name = `partition ${index} (${maskDatabaseUrl(url)})`;
      try {
        const identity = await identityOf(url, index, count, config.connectTimeoutMs);
        partitions.push({ index, identity, ...(await dump(url, `p${index}.dump`)) });
      } catch (error) {
        throw at(name, error);
      }
    }
    let proxy: ClusterBackupFile | undefined;
    if (!only) {
      try {
        proxy = await dump(cluster.proxy, 'proxy.dump');
      } catch (error) {
        throw at(`proxy (${maskDatabaseUrl(cluster.proxy)})`, error);
      }
    }
    const manifest: ClusterBackupManifest = {
      format: 'ecliptix-persistor-cluster-backup',
      version: 1,
      createdAt: now.toISOString(),
      partitionCount: count,
      partitions,
      ...(proxy ? { proxy } : {}),
    };
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFile(join(partial, MANIFEST_FILE), text, { mode: 0o600, flag: 'wx' });
    await rename(partial, directory);
    return {
      directory,
      manifest,
      bytes: partitions.reduce((sum, p) => sum + p.bytes, proxy?.bytes ?? 0) + Buffer.byteLength(text),
      durationMs: Number((performance.now() - started).toFixed(1)),
    };
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}
