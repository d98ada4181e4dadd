/** Opens the configured database: a PostgreSQL server when a URL is set, else the embedded PGlite directory. */
import type { Config } from '../config/schema.js';
import type { Database } from './database.js';

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

/** Opens, runs `work`, and always closes (releasing the embedded database's lock). */
export async function withDatabase<T>(config: DatabaseConfig, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(config);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}
