/**
 * What one journey (or sign-up) costs the server in durable commits and WAL (issue 14),
 * measured on a throw-away PostgreSQL instance of the benchmark's own (initdb
 * in a temporary directory, the server's binaries and default settings,
 * autovacuum off), so that nothing else's WAL is counted: on a shared server
 * a concurrent test run once made the same reading 120 times larger.
 *
 * After a checkpoint, a fixed number of journeys, one client, one after
 * another, between two readings of the instance's transaction-id counter and
 * WAL position. A transaction that writes gets a transaction id and flushes
 * WAL at commit; a read-only one gets neither, so the ids used per journey are
 * its durable commits. The WAL includes the full-page images a checkpoint
 * brings, as in the minutes after every checkpoint.
 */
import pg from 'pg';
import { migrate } from '../src/index.js';
import { BENCH_SETTINGS_SQL, openServerClient, runJourney, type Step } from './journey.js';
import { openDatabase } from '../src/db/open.js';
import { migrateAsAt } from '../test/support/old-migrations.js';
import { startThrowawayServer } from '../test/support/postgres-server.js';
import { phoneFor, round } from './support.js';

export interface JourneyCost {
  journeys: number;
  /** Transactions that wrote (got a transaction id), per journey. */
  durableCommitsPerJourney: number;
  /** pg_current_wal_lsn() advance per journey, in bytes. */
  walBytesPerJourney: number;
  /** Where it was measured, e.g. `a throw-away PostgreSQL 15.20 instance (initdb defaults, autovacuum off)`. */
  measuredOn?: string;
}

interface Reading {
  xid: bigint;
  lsn: string;
}

async function read(db: pg.Client): Promise<Reading> {
  // pg_current_xact_id() gives this statement's own transaction an id: the delta counts the second reading's once.
  const { rows } = await db.query<{ xid: string; lsn: string }>(
    'SELECT pg_current_xact_id()::text AS xid, pg_current_wal_lsn()::text AS lsn',
  );
  return { xid: BigInt(rows[0]!.xid), lsn: rows[0]!.lsn };
}

/** A sequence of steps whose cost is measured, on the schema of today or of an earlier revision. */
export interface CostedSequence {
  steps: readonly Step[];
  /** A git revision whose shipped migrations deploy the schema (test/support/old-migrations.ts); default: today's. */
  schemaAt?: string;
}

/**
 * What each of `journeys` runs of each sequence costs, measured one sequence
 * after another on one throw-away instance, each on a database of its own
 * (deployed from today's migrations or those of `schemaAt`).
 */
export async function measureJourneyCosts<K extends string>(
  journeys: number,
  sequences: Record<K, CostedSequence>,
): Promise<Record<K, JourneyCost>> {
  const instance = await startThrowawayServer({ autovacuum: 'off' });
  // Ctrl-C: run.ts exits after dropping its databases; the instance is stopped then (its temporary directory stays).
  const halt = () => instance.halt();
  process.once('exit', halt);
  const costs = {} as Record<K, JourneyCost>;
  try {
    const admin = new pg.Client({ connectionString: instance.adminUrl, application_name: 'ecliptix-persistor bench cost' });
    await admin.connect();
    const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    try {
      let block = 95;
      for (const [name, sequence] of Object.entries(sequences) as [K, CostedSequence][]) {
        const database = `cost_${Object.keys(costs).length}`;
        await admin.query(`CREATE DATABASE ${database}`);
        const url = new URL(instance.adminUrl);
        url.pathname = `/${database}`;
        if (sequence.schemaAt) {
          const db = await openDatabase({
            databaseUrl: url.toString(),
            dataDir: 'unused',
            connectTimeoutMs: 10_000,
            lockTimeoutMs: 10_000,
          });
          try {
            await migrateAsAt(db, sequence.schemaAt);
          } finally {
            await db.close();
          }
        } else await migrate({ databaseUrl: url.toString() });
        const db = new pg.Client({ connectionString: url.toString(), application_name: 'ecliptix-persistor bench cost' });
        await db.connect();
        const client = await openServerClient(url.toString(), 1);
        try {
          await db.query(BENCH_SETTINGS_SQL);
          for (let i = 0; i < 3; i++) await runJourney(client, phoneFor(block - 1, i), sequence.steps);
          await db.query('CHECKPOINT');
          const before = await read(db);
          for (let i = 0; i < journeys; i++) {
            const result = await runJourney(client, phoneFor(block, i), sequence.steps);
            if (!result.ok) throw new Error(`${name}: journey ${i} of the cost measurement failed at ${result.outcome}`);
          }
          const after = await read(db);
          const { rows } = await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text AS bytes', [
            after.lsn,
            before.lsn,
          ]);
          costs[name] = {
            journeys,
            durableCommitsPerJourney: round(Number(after.xid - before.xid - 1n) / journeys, 2),
            walBytesPerJourney: Math.round(Number(rows[0]!.bytes) / journeys),
            measuredOn: `a throw-away PostgreSQL ${version} instance (initdb defaults, autovacuum off)${sequence.schemaAt ? `, the schema as at ${sequence.schemaAt}` : ''}`,
          };
        } finally {
          await client.close();
          await db.end();
        }
        block -= 2;
      }
    } finally {
      await admin.end();
    }
    return costs;
  } finally {
    process.removeListener('exit', halt);
    await instance.stop();
  }
}
