/** `test`: can we reach the database, as whom, may we create objects, how fast is a round trip. */
import { performance } from 'node:perf_hooks';
import { sqlFile } from '../sql-files.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

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
