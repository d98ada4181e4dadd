/** `backup`: a restorable copy of the database — pg_dump (custom format) for a server, PGlite's data-directory dump for the embedded one. */
import { PersistorError } from '../errors.js';
import { backupDatabase, type BackupOptions, type BackupResult } from '../operations/backup.js';
import { resolveConfig, type PersistorOptions } from './runtime.js';

export interface BackupCommandOptions extends PersistorOptions, BackupOptions {}

export type { BackupResult };

export async function backup(options: BackupCommandOptions = {}): Promise<BackupResult> {
  const { output, pgBin, db, logger: _logger, ...rest } = options;
  if (db) throw new PersistorError('INVALID_ARGUMENT', 'backup opens the database itself: pass databaseUrl or dataDir, not an open db');
  const config = resolveConfig(rest);
  return backupDatabase(config, { ...(output ? { output } : {}), ...(pgBin ? { pgBin } : {}) });
}
