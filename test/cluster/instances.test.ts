/**
 * A cluster across two PostgreSQL instances, and a partition that goes down
 * (issue 11), on real servers only: PGlite cannot host PL/Proxy. The proxy
 * and partition 0 are on the test server, partition 1 on a second instance
 * this test starts (initdb in a temporary directory) and stops:
 * - the journey works for phones of both instances;
 * - with partition 1 stopped during a load, calls for its phones fail at once
 *   with an error naming it, calls for partition 0's phones go on; a flow
 *   start whose device lives on the stopped partition goes on when the
 *   phone's partition has the device's row already, and otherwise fails
 *   naming it and writes nothing on the phone's partition;
 * - once it is started again, every call succeeds.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deployCluster } from '../../src/cluster/deploy.js';
import { idHash, partitionOf, phoneHash } from '../../src/cluster/hash.js';
import type { Database } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createPostgresDatabase, dropPostgresDatabase, uniqueDatabaseName } from '../support/postgres-admin.js';
import type { ThrowawayServer } from '../support/postgres-server.js';
import { startSecondInstance } from './support.js';
import { idIn, type Row } from './transcript.js';

const phonesOn = (partition: number, count: number, base: number) => {
  const phones: string[] = [];
  for (let i = 0; phones.length < count; i++) {
    const phone = `+1202555${String(base + i).padStart(4, '0')}`;
    if (partitionOf(phoneHash(phone), 2) === partition) phones.push(phone);
  }
  return phones;
};

describe('a cluster across two instances, one stopped and started (postgres + PL/Proxy)', () => {
  const adminUrl = inject('adminUrl');
  const base = uniqueDatabaseName('persistor_cluster');
  let second: ThrowawayServer;
  let proxyUrl: string;
  let partitionUrls: string[];
  let proxy: Database;

  beforeAll(async () => {
    second = await startSecondInstance();
    proxyUrl = await createPostgresDatabase(adminUrl, `${base}_proxy`);
    partitionUrls = [
      await createPostgresDatabase(adminUrl, `${base}_p0`, inject('postgresSchemaTemplate')),
      await createPostgresDatabase(second.adminUrl, `${base}_p1`),
    ];
    await deployCluster({ proxy: proxyUrl, partitions: partitionUrls, partitionConnectTimeoutSeconds: 3 }, { lockTimeoutMs: 30_000 });
    proxy = await openPostgres({ databaseUrl: proxyUrl, connectTimeoutMs: 10_000, maxConnections: 4 });
  });
  afterAll(async () => {
    await proxy?.close();
    await dropPostgresDatabase(adminUrl, `${base}_proxy`);
    await dropPostgresDatabase(adminUrl, `${base}_p0`);
    await second?.stop();
  });

  const one = async (routine: string, ...args: unknown[]): Promise<Row> => {
    const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
    const { rows } = await proxy.query<Row>(`SELECT * FROM ecliptix.${routine}(${placeholders})`, args);
    return rows[0]!;
  };
  /** A device registered through the proxy whose home is `partition`. */
  const deviceOn = async (partition: number): Promise<string> => {
    for (;;) {
      const device = idIn(await one('register_app_device_if_not_exists', randomUUID(), randomUUID(), 1), /device/);
      if (idHash(device) === partition) return device;
    }
  };
  const flowsOf = async (phoneId: string): Promise<number> => {
    const db = await openPostgres({ databaseUrl: partitionUrls[idHash(phoneId)]!, connectTimeoutMs: 10_000, maxConnections: 1 });
    try {
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id WHERE p.unique_id = $1',
        [phoneId],
      );
      return rows[0]!.n;
    } finally {
      await db.close();
    }
  };

  it('runs the journey for phones on both instances, and keeps going for one while the other is down', async () => {
    const [device0, device1, unlinkedDevice1] = [await deviceOn(0), await deviceOn(1), await deviceOn(1)];
    const phones = [phonesOn(0, 3, 4000), phonesOn(1, 3, 4000)];
    const phoneIds: Record<string, string> = {};
    for (const [partition, list] of phones.entries()) {
      for (const phone of list) {
        phoneIds[phone] = idIn(await one('ensure_phone_number', phone, 'US', partition === 0 ? device1 : device0), /phone/);
        expect(idHash(phoneIds[phone])).toBe(partition);
        expect(idIn(await one('initiate_verification_flow', device0, phoneIds[phone], 'registration', null), /^flow/)).toBeTruthy();
      }
    }

    // A load over both partitions' phones, recording when each call ran and how it ended.
    const calls: { partition: number; started: number; ok: boolean; ms: number; error?: string }[] = [];
    let running = true;
    const worker = async (offset: number) => {
      for (let i = offset; running; i++) {
        const partition = i % 2;
        const phone = phones[partition]![i % 3]!;
        const started = Date.now();
        try {
          await one('verify_phone_for_secret_key_recovery', phone, null);
          calls.push({ partition, started, ok: true, ms: Date.now() - started });
        } catch (error) {
          calls.push({ partition, started, ok: false, ms: Date.now() - started, error: (error as Error).message });
        }
      }
    };
    let stopped = 0;
    let restarted = 0;
    const load = Promise.all([0, 1, 2, 3].map(worker));
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      second.halt();
      stopped = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Its phones fail at once, naming it; partition 0 goes on.
      const refused = await one('login_membership', phones[1]![0]!).then(
        () => 'succeeded',
        (error: Error) => error.message,
      );
      expect(refused).toContain(`[${base}_p1]`);
      // A flow start for a phone of partition 0 from a device of the stopped partition that partition 0 has
      // not seen needs the device's row from there: it fails naming it and writes nothing.
      const phoneOn0 = phoneIds[phones[0]![0]!]!;
      const before = await flowsOf(phoneOn0);
      await expect(one('initiate_verification_flow', unlinkedDevice1, phoneOn0, 'login', null)).rejects.toThrow(`[${base}_p1]`);
      expect(await flowsOf(phoneOn0)).toBe(before);
      // One whose row partition 0 has (the phone was ensured with it) needs nothing from the stopped partition.
      expect(idIn(await one('initiate_verification_flow', device1, phoneOn0, 'login', null), /^flow/)).toBeTruthy();
      expect(idIn(await one('initiate_verification_flow', device0, phoneOn0, 'login', null), /^flow/)).toBeTruthy();
      expect(await flowsOf(phoneOn0)).toBe(before + 2);
      await new Promise((resolve) => setTimeout(resolve, 500));

      second.start();
      restarted = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      // The load ends whatever happened above: a failed expectation must not leave it running.
      running = false;
      await load;
    }

    const on0 = calls.filter((c) => c.partition === 0);
    expect(on0.length).toBeGreaterThan(20);
    expect(on0.filter((c) => !c.ok)).toEqual([]);
    const down = calls.filter((c) => c.partition === 1 && c.started > stopped && c.started + c.ms < restarted);
    expect(down.length).toBeGreaterThan(0);
    expect(down.every((c) => !c.ok && c.ms < 3_500 && c.error!.includes(`[${base}_p1]`))).toBe(true);
    const afterRestart = calls.filter((c) => c.partition === 1 && c.started > restarted + 500);
    expect(afterRestart.length).toBeGreaterThan(0);
    expect(afterRestart.filter((c) => !c.ok)).toEqual([]);

    // Everything works again, the device of the restarted partition included.
    expect(
      idIn(await one('initiate_verification_flow', unlinkedDevice1, phoneIds[phones[0]![0]!]!, 'registration', null), /^flow/),
    ).toBeTruthy();
    for (const phone of phones[1]!) expect(await one('login_membership', phone)).toHaveProperty('outcome');
  });
});
