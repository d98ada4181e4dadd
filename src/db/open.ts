/** Opens the configured database: a PostgreSQL server when a URL is set, else the embedded PGlite directory. */
import type { Config } from '../config/schema.js';
import type { Database } from './database.js';

/** The configuration values that say which database to open and how long to wait. */
export type DatabaseConfig = Pick<Config, 'databaseUrl' | 'dataDir' | 'connectTimeoutMs' | 'lockTimeoutMs'>;

/** Each driver is loaded only when used: a CLI run on a server does not pay for loading PGlite, nor one on PGlite for pg. */
export interface OpenOptions {
  maxConnections?: number;
  /**
   * Embedded: open only a database that exists — a data directory without one
   * is an error (exit 3) and nothing is created. Read-only commands pass it.
   * A server's database is never created, so it changes nothing there.
   */
  mustExist?: boolean;
}

/**
 * Opens a PostgreSQL server when `databaseUrl` is set, else the embedded PGlite database in `dataDir` (created when missing, unless `mustExist`). Close it when done.
 *
 * @example
 * const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: '.ecliptix/data', connectTimeoutMs: 10_000, lockTimeoutMs: 60_000 });
 */
export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  if (config.databaseUrl) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres({
      databaseUrl: config.databaseUrl,
      connectTimeoutMs: config.connectTimeoutMs,
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    });
  }
  const { openPglite } = await import('./pglite.js');
  return openPglite({ dataDir: config.dataDir, lockTimeoutMs: config.lockTimeoutMs, ...(options.mustExist ? { mustExist: true } : {}) });
}

/**
 * Opens, runs `work`, and always closes (releasing the embedded database's lock).
 *
 * @example
 * ```ts
 * const rows = await withDatabase(resolveConfig({ databaseUrl: process.env.DATABASE_URL }), async (db) =>
 *   (await db.query('SELECT count(*) AS n FROM ecliptix.memberships')).rows,
 * )
 * ```
 */
export async function withDatabase<T>(config: DatabaseConfig, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(config);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}
