/**
 * The concurrency limits hold through the proxy (issue 11), on the real
 * server only: PGlite cannot host PL/Proxy (nor race). Racing calls through a
 * proxy of 2 partitions, each call a PL/Proxy call on the phone's partition
 * (flow starts also read their device from the device's partition first):
 * - 64 flow starts for one phone from 64 devices → exactly
 *   max_flows_per_phone_per_hour = 30 flows;
 * - 20 failed sign-ins of one number → exactly max_failed_logins = 5 recorded,
 *   the rest locked (one lockout row, no row per locked call).
 * No outcome string is written here: the flows are the results that carry a
 * flow id; "locked" is what a later call answers.
 *
 * The limits are the partitions' own guards (V014). To see these tests depend
 * on them, run with the guards removed on every partition:
 *   SCHEMA_CONCURRENCY_MUTANT=no-limit-guards npx vitest run test/cluster/concurrency.test.ts
 * (mutants of test/schema-concurrency/mutants.ts); both tests must fail.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf, phoneHash } from '../../src/cluster/hash.js';
import type { Database } from '../../src/db/database.js';
import { applyRequestedMutant } from '../schema-concurrency/mutants.js';
import { deployedTestCluster, type TestCluster } from './support.js';
import { idIn, type Row } from './transcript.js';

const PARTITIONS = 2;
/** Proxy connections: each may hold one connection to each partition, and the test server is shared (max_connections 100). */
const POOL = 20;
const ROUNDS = 2;
const RETRIED = new Set(['40001', '40P01']);

async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 200 || !code || !RETRIED.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
    }
  }
}

function tally(rows: readonly Row[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[String(row.outcome)] = (counts[String(row.outcome)] ?? 0) + 1;
  return counts;
}

describe('concurrency limits through the proxy (postgres + PL/Proxy, 2 partitions)', () => {
  let cluster: TestCluster;
  let proxy: Database;
  let partitions: Database[];

  beforeAll(async () => {
    ({ cluster } = await deployedTestCluster(PARTITIONS, { fromSchemaTemplate: true }));
    partitions = await Promise.all(Array.from({ length: PARTITIONS }, (_, i) => cluster.openPartition(i, { maxConnections: 2 })));
    for (const db of partitions) await applyRequestedMutant(db);
    proxy = await cluster.openProxy({ maxConnections: POOL });
    await Promise.all(Array.from({ length: POOL }, () => proxy.query('SELECT pg_sleep(0.05)')));
  });
  afterAll(async () => {
    await Promise.allSettled([proxy?.close(), ...(partitions ?? []).map((db) => db.close())]);
    await cluster?.drop();
  });

  const one = async (routine: string, ...args: unknown[]): Promise<Row> => {
    const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
    const { rows } = await proxy.query<Row>(`SELECT * FROM ecliptix.${routine}(${placeholders})`, args);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  async function countOn(index: number, sql: string, params: unknown[]): Promise<number> {
    return (await partitions[index]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params)).rows[0]!.n;
  }

  it('64 racing flow starts on one phone (64 devices) create exactly max_flows_per_phone_per_hour = 30 flows', async () => {
    const devices: string[] = [];
    for (let i = 0; i < 64; i++)
      devices.push(idIn(await one('register_app_device_if_not_exists', randomUUID(), randomUUID(), 1), /device/));
    for (let round = 0; round < ROUNDS; round++) {
      const phone = `+1202555061${round}`;
      const phoneId = idIn(await one('ensure_phone_number', phone, null, null), /phone/);

      const results = await Promise.all(
        devices.map((device) => retrying(() => one('initiate_verification_flow', device, phoneId, 'registration', null))),
      );

      const flows = results.filter((row) => row.flow_unique_id !== null && row.flow_unique_id !== undefined);
      expect(new Set(flows.map((row) => row.flow_unique_id)).size, `round ${round}`).toBe(30);
      expect(
        Object.values(tally(results)).sort((a, b) => a - b),
        `round ${round}: ${JSON.stringify(tally(results))}`,
      ).toEqual([30, 34]);
      const home = partitionOf(phoneHash(phone), PARTITIONS);
      const flowsOfPhone =
        'SELECT 1 FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id WHERE p.phone_number = $1';
      for (let index = 0; index < PARTITIONS; index++) expect(await countOn(index, flowsOfPhone, [phone])).toBe(index === home ? 30 : 0);
    }
  });

  it('20 racing failed sign-ins of one number record exactly max_failed_logins = 5, then lock', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const phone = `+1202555062${round}`;

      const results = await Promise.all(Array.from({ length: 20 }, () => retrying(() => one('login_membership', phone))));

      const locked = String((await one('login_membership', phone)).outcome);
      const counts = tally(results);
      expect(counts[locked], `round ${round}: ${JSON.stringify(counts)}`).toBe(15);
      expect(Object.values(counts).sort((a, b) => a - b)).toEqual([5, 15]);
      const home = partitionOf(phoneHash(phone), PARTITIONS);
      const attempts = 'SELECT 1 FROM ecliptix.login_attempts WHERE phone_number = $1';
      for (let index = 0; index < PARTITIONS; index++) expect(await countOn(index, attempts, [phone])).toBe(index === home ? 5 : 0);
      const { rows } = await partitions[home]!.query<{ lockout_number: number; calls_while_locked: number }>(
        'SELECT lockout_number, calls_while_locked FROM ecliptix.login_attempts WHERE phone_number = $1 AND locked_until IS NOT NULL',
        [phone],
      );
      expect(rows).toEqual([{ lockout_number: 1, calls_while_locked: 16 }]);
    }
  });
});
