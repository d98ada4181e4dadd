/** `test`: can we reach the database, as whom, may we create objects, how fast is a round trip. */
import { performance } from 'node:perf_hooks';
import { sqlFile } from '../sql-files.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/** What {@link testConnection} found out about the database and the connection. */
export interface ConnectionReport {
  engine: 'pglite' | 'postgres';
  target: string;
  serverVersion: string;
  database: string;
  user: string;
  /** May this user create schemas (and so deploy)? */
  canCreate: boolean;
  /** Median of several `SELECT 1` round trips. */
  latencyMs: number;
}

/** How many `SELECT 1` round trips `latencyMs` is the median of. */
export const CONNECTION_ROUND_TRIPS = 5;

/**
 * Connects and reports the server version, database, user, whether the user
 * may create schemas (and so deploy), and the round-trip latency. A database
 * that cannot be reached is a CONNECTION_FAILED error (exit 3).
 *
 * @example
 * ```ts
 * import { testConnection } from 'ecliptix-persistor'
 *
 * const report = await testConnection({ databaseUrl: process.env.DATABASE_URL })
 * console.log(`${report.serverVersion}, ${report.latencyMs} ms`)
 * ```
 */
export function testConnection(options: PersistorOptions = {}): Promise<ConnectionReport> {
  return withRuntime(
    options,
    async ({ db }) => {
      const { rows } = await db.query<{ server_version: string; database: string; user: string; can_create: boolean }>(
        sqlFile('persistor/connection-info.sql'),
      );
      const info = rows[0]!;
      const samples: number[] = [];
      for (let i = 0; i < CONNECTION_ROUND_TRIPS; i++) {
        const started = performance.now();
        await db.query('SELECT 1');
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      return {
        engine: db.engine,
        target: db.target,
        serverVersion: info.server_version,
        database: info.database,
        user: info.user,
        canCreate: info.can_create,
        latencyMs: Number(samples[Math.floor(samples.length / 2)]!.toFixed(3)),
      };
    },
    { mustExist: true },
  );
}
