/** `restore <file>`: put a backup back, all or nothing (the server in one transaction; the embedded directory swapped in whole). */
import { PersistorError } from '../errors.js';
import { restoreDatabase, type RestoreOptions, type RestoreResult } from '../operations/restore.js';
import { resolveConfig, type PersistorOptions } from './runtime.js';

/** Options of {@link restore}: the database to restore into (not an open `db`), the backup `file`, and `force` to replace a deployed schema. */
export interface RestoreCommandOptions extends PersistorOptions, RestoreOptions {}

/** What {@link restore} did: the file, the target, whether it replaced a database, and the rows per table. */
export type { RestoreResult };

/**
 * Restores a backup made by {@link backup} (or `migrate` with `backup`), all or
 * nothing: a pg_dump archive to a server in one transaction, a `.tar.gz` to
 * the embedded data directory swapped in whole. A database that already
 * holds the schema is replaced only with `force`.
 *
 * @example
 * ```ts
 * import { restore } from 'ecliptix-persistor'
 *
 * const result = await restore({ databaseUrl: process.env.DATABASE_URL, file: 'before-upgrade.dump', force: true })
 * console.log(result.tables)
 * ```
 */
export async function restore(options: RestoreCommandOptions): Promise<RestoreResult> {
  const { file, force, pgBin, db, logger: _logger, ...rest } = options;
  if (db) throw new PersistorError('INVALID_ARGUMENT', 'restore opens the database itself: pass databaseUrl or dataDir, not an open db');
  if (!file) throw new PersistorError('INVALID_ARGUMENT', 'restore needs the backup file to restore');
  const config = resolveConfig(rest);
  return restoreDatabase(config, { file, force: force === true, ...(pgBin ? { pgBin } : {}) });
}
