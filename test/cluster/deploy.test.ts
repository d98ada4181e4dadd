/**
 * Cluster deployment (issue 11) on the real server only: PGlite cannot host
 * PL/Proxy. A cluster of 2 and of 4 partitions deploys, a second deployment
 * changes nothing, partition URLs listed in another order are refused, and a
 * deployment stopped part-way is finished by the next one.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../src/config/cluster.js';
import { deployCluster } from '../../src/cluster/deploy.js';
import { deviceHash, idHash, partitionOf, phoneHash } from '../../src/cluster/hash.js';
import type { Database } from '../../src/db/database.js';
import { isPersistorError } from '../../src/errors.js';
import { APPLICATION_ROUTINES } from '../../src/schema/manifest.js';
import { createTestCluster, withDb, type TestCluster } from './support.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.drop();
  cluster = undefined;
});

/** What a re-deployment must leave as it was: the routines' oids, definitions and grants on every database. */
async function fingerprint(c: TestCluster, partitions: number): Promise<string[]> {
  const sql = `SELECT n.nspname || '.' || p.oid::regprocedure::text || ' ' || p.oid || ' ' || md5(pg_get_functiondef(p.oid)) || ' ' || coalesce(p.proacl::text, '') AS line
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname IN ('ecliptix', 'ecliptix_route', 'ecliptix_partition', 'ecliptix_internal') ORDER BY 1`;
  const read = (open: Promise<Database>) => withDb(open, async (db) => (await db.query<{ line: string }>(sql)).rows.map((r) => r.line));
  const all = await read(c.openProxy());
  for (let i = 0; i < partitions; i++) all.push(...(await read(c.openPartition(i))).map((line) => `p${i} ${line}`));
  return all;
}

describe('deployCluster (postgres + PL/Proxy)', () => {
  it.each([2, 4])('deploys %i partitions, and a second deployment changes nothing', async (partitions) => {
    cluster = await createTestCluster(partitions);
    const first = await deployCluster(cluster.config, { lockTimeoutMs: 30_000 });
    expect(first.partitions.map((p) => p.identity)).toEqual(Array(partitions).fill('claimed'));
    expect(first.partitions.every((p) => p.migrationsApplied > 0 && p.generated === 'applied')).toBe(true);
    expect(first.proxy.generated).toBe('applied');
    expect(first.routines).toHaveLength(APPLICATION_ROUTINES.length);

    await withDb(cluster.openProxy(), async (db) => {
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_proc WHERE pronamespace = 'ecliptix'::regnamespace",
      );
      expect(rows[0]!.n).toBe(APPLICATION_ROUTINES.length);
      // The SQL hashes and the TypeScript ones agree (tests and operators use the latter).
      const phone = '+12025550147';
      const uid = randomUUID();
      const device = randomUUID();
      const hashes = await db.query<{ phone: number; id: number; device: number }>(
        'SELECT ecliptix_route.phone_hash($1) AS phone, ecliptix_route.id_hash($2) AS id, ecliptix_route.device_hash($3) AS device',
        [phone, uid, device],
      );
      expect(hashes.rows[0]).toEqual({ phone: phoneHash(phone), id: idHash(uid), device: deviceHash(device) });
    });
    // Each partition issues identifiers that carry its index, and they are valid v4 UUIDs.
    for (let index = 0; index < partitions; index++) {
      await withDb(cluster.openPartition(index), async (db) => {
        const { rows } = await db.query<{ id: string }>(
          'SELECT ecliptix_partition.new_unique_id()::text AS id FROM generate_series(1, 20)',
        );
        for (const { id } of rows) {
          expect(partitionOf(idHash(id), partitions)).toBe(index);
          expect(idHash(id)).toBe(index);
          expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        }
        const defaults = await db.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.columns
            WHERE table_schema = 'ecliptix' AND column_name = 'unique_id' AND column_default = 'ecliptix_partition.new_unique_id()' ORDER BY 1`,
        );
        expect(defaults.rows.map((r) => r.table_name)).toEqual([
          'app_devices',
          'membership_attempts',
          'memberships',
          'otp_records',
          'phone_numbers',
          'verification_flows',
        ]);
      });
    }

    const before = await fingerprint(cluster, partitions);
    const second = await deployCluster(cluster.config, { lockTimeoutMs: 30_000 });
    expect(second.partitions.map((p) => [p.identity, p.migrationsApplied, p.generated])).toEqual(
      Array(partitions).fill(['confirmed', 0, 'unchanged']),
    );
    expect(second.proxy.generated).toBe('unchanged');
    expect(await fingerprint(cluster, partitions)).toEqual(before);
  });

  it('refuses partition URLs listed in another order than the first deployment, naming the partition, before changing anything', async () => {
    cluster = await createTestCluster(2, { fromSchemaTemplate: true });
    await deployCluster(cluster.config, { lockTimeoutMs: 30_000 });
    const swapped = { ...cluster.config, partitions: [...cluster.config.partitions].reverse() };
    const error = await deployCluster(swapped, { lockTimeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(isPersistorError(error)).toBe(true);
    expect((error as Error).message).toContain(`partition 0 (${swapped.partitions[0]}`);
    expect((error as Error).message).toMatch(/is partition 1 of 2, not partition 0 of 2/);
    // Listing them again as first deployed works.
    const again = await deployCluster(cluster.config, { lockTimeoutMs: 30_000 });
    expect(again.proxy.generated).toBe('unchanged');
  });

  it('finishes a deployment that failed part-way: partition 0 migrated, partition 1 failing, then repaired', async () => {
    cluster = await createTestCluster(2);
    // Partition 1 holds an object in the way of the shipped migrations: its deployment fails after partition 0's succeeded.
    await withDb(cluster.openPartition(1), (db) => db.exec('CREATE SCHEMA ecliptix; CREATE TABLE ecliptix.app_devices (in_the_way int)'));
    const error = await deployCluster(cluster.config, { lockTimeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(isPersistorError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^partition 1 \(postgres:\/\/.*_p1\): /);
    await withDb(cluster.openPartition(0), async (db) => {
      const { rows } = await db.query<{ migrated: boolean }>("SELECT to_regclass('ecliptix.login_attempts') IS NOT NULL AS migrated");
      expect(rows[0]!.migrated).toBe(true);
    });
    await withDb(cluster.openProxy(), async (db) => {
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'ecliptix_route'");
      expect(rows[0]!.n).toBe(0);
    });

    await withDb(cluster.openPartition(1), (db) => db.exec('DROP TABLE ecliptix.app_devices'));
    const finished = await deployCluster(cluster.config, { lockTimeoutMs: 30_000 });
    expect(finished.partitions.map((p) => [p.identity, p.migrationsApplied > 0])).toEqual([
      ['confirmed', false],
      ['confirmed', true],
    ]);
    expect(finished.proxy.generated).toBe('applied');
  });

  it('names the partition it cannot reach, password masked', async () => {
    cluster = await createTestCluster(2, { fromSchemaTemplate: true });
    const unreachable = cluster.config.partitions[1]!.replace('postgres@', 'postgres:hunter2@').replace(/_p1$/, '_p1_missing');
    const error = await deployCluster(
      { ...cluster.config, partitions: [cluster.config.partitions[0]!, unreachable] },
      { connectTimeoutMs: 5_000 },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^partition 1 \(postgres:\/\/postgres:\*\*\*\*@.*_p1_missing\)/);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('validates the cluster description', () => {
    const url = (db: string) => `postgres://u:secret@h:5432/${db}`;
    const problem = (input: unknown) => {
      try {
        parseClusterConfig(input);
        return 'valid';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problem({ proxy: url('x'), partitions: [url('a'), url('b'), url('c')] })).toMatch(
      /^cluster\.partitions: must list a power of two/,
    );
    expect(problem({ proxy: url('x'), partitions: [url('a'), 'postgres://u@H:5432/a'] })).toMatch(
      /^cluster\.partitions\[1\]: names the same database as partitions\[0\]/,
    );
    expect(problem({ proxy: url('a'), partitions: [url('a'), url('b')] })).toMatch(/partitions\[0\]: names the proxy database/);
    expect(problem({ proxy: 'mysql://h/x', partitions: [url('a')] })).toMatch(/^cluster\.proxy: must be a URL/);
    expect(problem({ proxy: url('x'), partitions: [url('a')], extra: 1 })).toMatch(/Unrecognized key/);
    expect(problem({ proxy: url('x'), partitions: [url('a'), url('b')] })).toBe('valid');
  });
});
