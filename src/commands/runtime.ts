/**
 * What every command needs: validated configuration, an open database (or
 * the caller's own), and a logger. Programmatic callers pass configuration
 * values directly; the CLI passes what it loaded from flags, env and file.
 */
import { configSchema, type Config, type ConfigInput } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { PersistorError } from '../errors.js';
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

export function resolveConfig(options: PersistorOptions): Config {
  const { db: _db, logger: _logger, ...input } = options;
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PersistorError('INVALID_CONFIG', `invalid configuration: ${issue.path.join('.') || 'options'} ${issue.message}`);
  }
  return parsed.data;
}

export async function withRuntime<T>(options: PersistorOptions, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const config = resolveConfig(options);
  const logger = options.logger ?? silentLogger;
  const db = options.db ?? (await openDatabase(config));
  logger.debug({ target: db.target, engine: db.engine, ...(db.created ? { created: db.created } : {}) }, 'database opened');
  try {
    return await work({ config, db, logger, migrationsDir: config.migrationsDir ?? shippedMigrationsDir });
  } finally {
    if (!options.db) await db.close();
  }
}
