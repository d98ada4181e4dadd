/** `backup`: a restorable copy of the database — pg_dump (custom format) for a server, PGlite's data-directory dump for the embedded one. */
import { PersistorError } from '../errors.js';
import { backupDatabase, type BackupOptions, type BackupResult } from '../operations/backup.js';
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
  return backupDatabase(config, { ...(output ? { output } : {}), ...(pgBin ? { pgBin } : {}) });
}
