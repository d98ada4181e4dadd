/**
 * On a cluster, each partition records the refusals of the calls it runs
 * (issue 12; V020): nothing is routed for the recording, a call through the
 * proxy counts its hit and writes its event on the partition that holds the
 * number, and the partitions' counters add up to the calls. Server only
 * (PL/Proxy).
 */
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { call } from '../schema-concurrency/procedures.js';
import { clusterBesideOneDatabase } from './support.js';

async function partitionRecord(db: Database): Promise<{ numbers: string[]; events: number; hits: Record<string, number> }> {
  const numbers = await db.query<{ phone_number: string }>(
    'SELECT DISTINCT phone_number FROM ecliptix.login_attempts WHERE locked_until IS NOT NULL ORDER BY 1',
  );
  const events = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM ecliptix.event_log WHERE event_type = 'lockout_started'");
  const hits = await db.query<{ limit_name: string; hits: number }>(
    'SELECT limit_name, sum(hits)::int AS hits FROM ecliptix_internal.limit_hits GROUP BY 1 ORDER BY 1',
  );
  return {
    numbers: numbers.rows.map((r) => r.phone_number),
    events: events.rows[0]!.n,
    hits: Object.fromEntries(hits.rows.map((r) => [r.limit_name, r.hits])),
  };
}

describe('limit hits and security events on a cluster (postgres)', () => {
  const fx = clusterBesideOneDatabase(2);

  it('each partition records the lockouts and hits of the numbers it holds', async () => {
    const numbers = Array.from({ length: 8 }, (_, i) => `+1415557${String(1000 + i)}`);
    for (const number of numbers) {
      for (let i = 0; i < 5; i++) expect((await call(fx.proxyDb, 'login_membership', [number])).outcome).toBe('phone_number_not_found');
      for (let i = 0; i < 3; i++) expect((await call(fx.proxyDb, 'login_membership', [number])).outcome).toBe('locked');
    }
    const records = await Promise.all(fx.partitions.map(partitionRecord));
    expect(records.flatMap((r) => r.numbers).sort()).toEqual(numbers);
    expect(records.map((r) => r.numbers.length > 0)).toEqual([true, true]); // the numbers hash to both partitions
    for (const record of records) {
      const held = record.numbers.length;
      expect(record.events).toBe(held);
      expect(record.hits).toEqual(held === 0 ? {} : { failed_logins: held, login_lockout: 3 * held });
    }
  });
});
