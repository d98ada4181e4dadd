/**
 * What every command needs: validated configuration, an open database (or
 * the caller's own), and a logger. Programmatic callers pass configuration
 * values directly; the CLI passes what it loaded from flags, env and file.
 */
import { resolveConfig } from '../config/resolve.js';
import type { Config, ConfigInput } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { openDatabase, type OpenOptions } from '../db/open.js';
import { PersistorError } from '../errors.js';
import { shippedMigrationsDir } from '../sql-files.js';
import { silentLogger, type Logger } from '../util/logger.js';

/**
 * What every programmatic command takes: configuration values (`databaseUrl`,
 * `dataDir`, `lockTimeoutMs`, …, validated as a config file's are), or an
 * open `db` to use instead, and a pino-style `logger` (default silent).
 */
export interface PersistorOptions extends ConfigInput {
  /** Use this open database instead of opening one from the configuration (it is not closed). */
  db?: Database;
  /** Diagnostics (default: none). */
  logger?: Logger;
}

/** What {@link withRuntime} hands a command's work: the validated configuration, the open database, the logger and the migrations folder. */
export interface Runtime {
  config: Config;
  db: Database;
  logger: Logger;
  migrationsDir: string;
}

/** Validated configuration from the options (see config/resolve.ts). */
export { resolveConfig };

/**
 * How a command opens the database. `mustExist`: the command only reads (or
 * works on data that must already be there), so an embedded data directory
 * that holds no database is an error (exit 3, saying how to make one) instead
 * of a new database nobody asked for. Which commands pass it: see README
 * (status, verify, validate, test, cleanup, rotate-keys, and the dry runs of
 * migrate and import).
 */
export interface RuntimeOptions {
  mustExist?: boolean;
}

/**
 * Runs `work` with the validated configuration and a database: the caller's
 * `db`, else one opened here and closed afterwards (releasing the embedded
 * database's lock) whether `work` succeeds or throws.
 *
 * @example
 * ```ts
 * const count = await withRuntime(options, async ({ db }) => (await db.query('SELECT 1')).rowCount, { mustExist: true })
 * ```
 */
export async function withRuntime<T>(
  options: PersistorOptions,
  work: (runtime: Runtime) => Promise<T>,
  runtime: RuntimeOptions = {},
): Promise<T> {
  const config = resolveConfig(options);
  // A command that works on one database must not quietly open the embedded one when a cluster is configured.
  if (config.cluster && !options.db)
    throw new PersistorError(
      'INVALID_CONFIG',
      'invalid configuration: a cluster is configured (the config file\'s "cluster" key) and this command works on one database only; ' +
        'on a cluster use migrate or status (programmatically migrateCluster, clusterStatus); ' +
        'to run this one on one partition, use a config file without "cluster" (--config <file>) and --database-url <the partition>',
    );
  const logger = options.logger ?? silentLogger;
  const open: OpenOptions = runtime.mustExist ? { mustExist: true } : {};
  const db = options.db ?? (await openDatabase(config, open));
  logger.debug({ target: db.target, engine: db.engine, ...(db.created ? { created: db.created } : {}) }, 'database opened');
  try {
    return await work({ config, db, logger, migrationsDir: config.migrationsDir ?? shippedMigrationsDir });
  } finally {
    if (!options.db) await db.close();
  }
}
