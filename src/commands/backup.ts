/** `backup`: a restorable copy of the database — pg_dump (custom format) for a server, PGlite's data-directory dump for the embedded one. */
import { PersistorError } from '../errors.js';
import { backupDatabase, type BackupOptions, type BackupResult } from '../operations/backup.js';
import { backupCluster, type ClusterBackupOptions, type ClusterBackupResult } from '../operations/cluster-backup.js';
import { resolveClusterConfig } from './cluster-runtime.js';
import { resolveConfig, type PersistorOptions } from './runtime.js';

/** Options of {@link backup}: the database to back up (not an open `db`: it opens its own), and where the backup goes. */
export interface BackupCommandOptions extends PersistorOptions, BackupOptions {}

/** What {@link backup} wrote: the file, its format and size, and how long it took. */
export type { BackupResult };

/**
 * Writes a restorable backup of the whole database: `pg_dump --format=custom`
 * for a server, the data directory as `.tar.gz` for the embedded database.
 * It never overwrites a file; {@link restore} puts it back.
 *
 * @example
 * ```ts
 * import { backup } from 'ecliptix-persistor'
 *
 * const result = await backup({ databaseUrl: process.env.DATABASE_URL, output: 'before-upgrade.dump' })
 * console.log(`${result.file}: ${result.bytes} bytes`)
 * ```
 */
export async function backup(options: BackupCommandOptions = {}): Promise<BackupResult> {
  const { output, pgBin, db, logger: _logger, ...rest } = options;
  if (db) throw new PersistorError('INVALID_ARGUMENT', 'backup opens the database itself: pass databaseUrl or dataDir, not an open db');
  const config = resolveConfig(rest);
  if (config.cluster)
    throw new PersistorError(
      'INVALID_CONFIG',
      'invalid configuration: a cluster is configured (the config file\'s "cluster" key): back it up with clusterBackup (the CLI\'s `backup` does), or pass the one database to back up',
    );
  return backupDatabase(config, { ...(output ? { output } : {}), ...(pgBin ? { pgBin } : {}) });
}

/** Options of {@link clusterBackup}: the cluster (the config file's `cluster` key), the directory to create, and pg_dump's. */
export interface ClusterBackupCommandOptions extends PersistorOptions, ClusterBackupOptions {}

/** What {@link clusterBackup} wrote: the directory and its manifest (each partition's file, identity and size; the proxy's). */
export type { ClusterBackupResult };

/**
 * Backs up every partition and the proxy of the configured cluster into one
 * new directory (default `<backupDir>/<timestamp>-cluster/`): `p0.dump`,
 * `p1.dump`, …, `proxy.dump` (each `pg_dump --format=custom`, restorable with
 * {@link restore}) and `manifest.json` (the partition order, each partition's
 * identity, the files and their sizes). All or nothing: an error names the
 * database that failed and leaves no directory behind.
 *
 * @example
 * ```ts
 * import { clusterBackup, restore } from 'ecliptix-persistor'
 *
 * const { directory } = await clusterBackup({ cluster })
 * await restore({ databaseUrl: 'postgres://db2/ecliptix_p1', file: `${directory}/p1.dump` }) // partition 1 on a new server
 * ```
 */
export async function clusterBackup(options: ClusterBackupCommandOptions = {}): Promise<ClusterBackupResult> {
  const { output, pgBin, partitions, db, logger: _logger, ...rest } = options;
  if (db) throw new PersistorError('INVALID_ARGUMENT', 'backup opens the databases itself: pass the cluster, not an open db');
  const { config, cluster } = resolveClusterConfig(rest);
  return backupCluster(
    { ...config, cluster },
    { ...(output ? { output } : {}), ...(pgBin ? { pgBin } : {}), ...(partitions ? { partitions } : {}) },
  );
}
