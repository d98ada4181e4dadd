/**
 * What one journey costs the server in durable commits and WAL (issue 14):
 * a fixed number of journeys, one client, one after another, on a database
 * nothing else writes to, between two readings of the server's transaction-id
 * counter and WAL position. A transaction that writes gets a transaction id
 * and flushes WAL at commit; a read-only one gets neither, so the ids used per
 * journey are its durable commits. Both counters are server-wide: the
 * benchmark runs alone (other writers, autovacuum included, would add to
 * them; the figures are an upper bound then).
 */
import pg from 'pg';
import type { MembershipsClient } from '../src/index.js';
import { runJourney } from './journey.js';
import { phoneFor, round } from './support.js';

export interface JourneyCost {
  journeys: number;
  /** Transactions that wrote (got a transaction id), per journey. */
  durableCommitsPerJourney: number;
  /** pg_current_wal_lsn() advance per journey, in bytes. */
  walBytesPerJourney: number;
}

interface Reading {
  xid: bigint;
  lsn: string;
}

async function read(db: pg.Client): Promise<Reading> {
  // pg_current_xact_id() gives this statement's own transaction an id: the next reading's delta counts it once.
  const { rows } = await db.query<{ xid: string; lsn: string }>(
    'SELECT pg_current_xact_id()::text AS xid, pg_current_wal_lsn()::text AS lsn',
  );
  return { xid: BigInt(rows[0]!.xid), lsn: rows[0]!.lsn };
}

/** Runs `journeys` journeys with new phone numbers of `block`, one at a time, and returns what each cost. */
export async function measureJourneyCost(url: string, client: MembershipsClient, journeys: number, block: number): Promise<JourneyCost> {
  const db = new pg.Client({ connectionString: url, application_name: 'ecliptix-persistor bench cost' });
  await db.connect();
  try {
    const before = await read(db);
    for (let i = 0; i < journeys; i++) {
      const result = await runJourney(client, phoneFor(block, i));
      if (!result.ok) throw new Error(`journey ${i} of the cost measurement failed at ${result.outcome}`);
    }
    const after = await read(db);
    const { rows } = await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text AS bytes', [
      after.lsn,
      before.lsn,
    ]);
    // The first reading's own id is before `before.xid`'s successor; the second's is after.xid: subtract that one.
    const writing = Number(after.xid - before.xid - 1n);
    return {
      journeys,
      durableCommitsPerJourney: round(writing / journeys, 2),
      walBytesPerJourney: Math.round(Number(rows[0]!.bytes) / journeys),
    };
  } finally {
    await db.end();
  }
}
