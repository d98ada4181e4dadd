/**
 * What every command needs: validated configuration, an open database (or
 * the caller's own), and a logger. Programmatic callers pass configuration
 * values directly; the CLI passes what it loaded from flags, env and file.
 */
import { resolveConfig } from '../config/resolve.js';
import type { Config, ConfigInput } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { openDatabase, type OpenOptions } from '../db/open.js';
import { shippedMigrationsDir } from '../sql-files.js';
import { silentLogger, type Logger } from '../util/logger.js';

export interface PersistorOptions extends ConfigInput {
  /** Use this open database instead of opening one from the configuration (it is not closed). */
  db?: Database;
  logger?: Logger;
}

export interface Runtime {
  config: Config;
  db: Database;
  logger: Logger;
  migrationsDir: string;
}

export { resolveConfig };

/**
 * How a command opens the database. `mustExist`: the command only reads (or
 * works on data that must already be there), so an embedded data directory
 * that holds no database is an error (exit 3, saying how to make one) instead
 * of a new database nobody asked for. Which commands pass it: see README
 * (status, verify, validate, test, cleanup, rotate-keys).
 */
export interface RuntimeOptions {
  mustExist?: boolean;
}

export async function withRuntime<T>(
  options: PersistorOptions,
  work: (runtime: Runtime) => Promise<T>,
  runtime: RuntimeOptions = {},
): Promise<T> {
  const config = resolveConfig(options);
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
