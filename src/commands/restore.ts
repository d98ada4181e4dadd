/** `restore <file>`: put a backup back, all or nothing (the server in one transaction; the embedded directory swapped in whole). */
import { PersistorError } from '../errors.js';
import { restoreDatabase, type RestoreOptions, type RestoreResult } from '../operations/restore.js';
import { resolveConfig, type PersistorOptions } from './runtime.js';

export interface RestoreCommandOptions extends PersistorOptions, RestoreOptions {}

export type { RestoreResult };

export async function restore(options: RestoreCommandOptions): Promise<RestoreResult> {
  const { file, force, pgBin, db, logger: _logger, ...rest } = options;
  if (db) throw new PersistorError('INVALID_ARGUMENT', 'restore opens the database itself: pass databaseUrl or dataDir, not an open db');
  if (!file) throw new PersistorError('INVALID_ARGUMENT', 'restore needs the backup file to restore');
  const config = resolveConfig(rest);
  return restoreDatabase(config, { file, force: force === true, ...(pgBin ? { pgBin } : {}) });
}
