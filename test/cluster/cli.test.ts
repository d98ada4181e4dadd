/**
 * The cluster through the command line (the built CLI, dist/cli/main.js):
 * the config file's `cluster` key and its errors, `migrate` (and its dry
 * run) and `status` on a 2-partition cluster of throw-away databases on the
 * test server, and `status` with a partition that cannot be reached.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runCli } from '../support/cli.js';
import { createPostgresDatabase, dropPostgresDatabase } from '../support/postgres-admin.js';
import { createTestCluster, withDb, type TestCluster } from './support.js';

/** A directory holding ecliptix-persistor.config.json with these values. */
function configDir(values: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'persistor-cluster-cli-'));
  writeFileSync(join(dir, 'ecliptix-persistor.config.json'), JSON.stringify(values));
  return dir;
}

const url = (name: string, port = 5432) => `postgres://deployer:s3cret@127.0.0.1:${port}/${name}`;

describe('the cluster key of the config file', () => {
  it('is validated before anything connects: each error names the key, exit 2', async () => {
    const notPowerOfTwo = await runCli(['status'], {
      cwd: configDir({ cluster: { proxy: url('px'), partitions: [url('a'), url('b'), url('c')] } }),
    });
    expect(notPowerOfTwo.code).toBe(2);
    expect(notPowerOfTwo.stderr).toContain('cluster.partitions');
    expect(notPowerOfTwo.stderr).toContain('power of two');

    const duplicate = await runCli(['migrate'], {
      cwd: configDir({ cluster: { proxy: url('px'), partitions: [url('a'), url('b'), 'postgres://other@127.0.0.1:5432/a', url('d')] } }),
    });
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain('cluster.partitions[2]');
    expect(duplicate.stderr).toContain('names the same database as partitions[0]');
    expect(duplicate.stderr).not.toContain('s3cret');

    const proxyAsPartition = await runCli(['status'], { cwd: configDir({ cluster: { proxy: url('a'), partitions: [url('a')] } }) });
    expect(proxyAsPartition.code).toBe(2);
    expect(proxyAsPartition.stderr).toContain('cluster.partitions[0]');

    const unknown = await runCli(['status'], { cwd: configDir({ cluster: { proxy: url('px'), partitions: [url('a')], shards: 4 } }) });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown key cluster.shards');

    const badUrl = await runCli(['status'], { cwd: configDir({ cluster: { proxy: url('px'), partitions: [url('a'), 'mysql://h/b'] } }) });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('cluster.partitions[1]');
  });

  it('refuses databaseUrl and cluster together, saying which to drop — from the file, a flag or DATABASE_URL', async () => {
    const cluster = { proxy: url('px'), partitions: [url('a'), url('b')] };
    const inFile = await runCli(['migrate'], { cwd: configDir({ databaseUrl: url('one'), cluster }) });
    expect(inFile.code).toBe(2);
    expect(inFile.stderr).toMatch(/databaseUrl \(from .*\) and cluster \(from .*\) are both set/);
    expect(inFile.stderr).toContain('drop databaseUrl');
    expect(inFile.stderr).not.toContain('s3cret');

    const dir = configDir({ cluster });
    const flag = await runCli(['status', '--database-url', url('one')], { cwd: dir });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('databaseUrl (from --database-url)');
    const env = await runCli(['status'], { cwd: dir, env: { DATABASE_URL: url('one') } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('databaseUrl (from DATABASE_URL)');
  });

  it('a command that works on one database refuses a configured cluster instead of opening the embedded database', async () => {
    const result = await runCli(['validate'], { cwd: configDir({ cluster: { proxy: url('px'), partitions: [url('a')] } }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('a cluster is configured');
  });
});

describe('migrate and status on a 2-partition cluster', () => {
  let cluster: TestCluster;
  let dir: string;

  beforeAll(async () => {
    cluster = await createTestCluster(2);
    dir = configDir({ cluster: cluster.config, lockTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await cluster?.drop();
  });

  const journalRows = (index: number) =>
    withDb(cluster.openPartition(index), async (db) => {
      const exists = (await db.query<{ t: string | null }>(`SELECT to_regclass('persistor.schema_history')::text AS t`)).rows[0]!.t;
      return exists === null ? 0 : Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM persistor.schema_history')).rows[0]!.n);
    });

  it('migrate --dry-run reports per partition and for the proxy, and changes nothing', async () => {
    const result = await runCli(['migrate', '--dry-run', '--json'], { cwd: dir, timeoutMs: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      dryRun: boolean;
      upToDate: boolean;
      migrationsPending: number;
      partitions: { index: number; identity: string; wouldApply: unknown[]; upToDate: boolean; generated: string }[];
      proxy: { plproxy: boolean; generated: string; action: string };
    };
    expect(plan.dryRun).toBe(true);
    expect(plan.upToDate).toBe(false);
    expect(plan.partitions.map((p) => [p.index, p.identity, p.upToDate, p.generated])).toEqual([
      [0, 'claim', false, 'would apply'],
      [1, 'claim', false, 'would apply'],
    ]);
    expect(plan.partitions[0]!.wouldApply.length).toBeGreaterThan(10);
    expect(plan.migrationsPending).toBe(plan.partitions[0]!.wouldApply.length * 2);
    expect(plan.proxy).toMatchObject({ plproxy: false, generated: 'would apply' });
    expect(plan.proxy.action).toContain('create extension plproxy');

    // Nothing changed: no journal (or an empty one), no partition identity, nothing on the proxy.
    for (const index of [0, 1]) {
      expect(await journalRows(index)).toBe(0);
      await withDb(cluster.openPartition(index), async (db) => {
        const { rows } = await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_namespace WHERE nspname IN ('ecliptix', 'ecliptix_partition', 'ecliptix_internal')`,
        );
        expect(Number(rows[0]!.n)).toBe(0);
      });
    }
    await withDb(cluster.openProxy(), async (db) => {
      expect((await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'plproxy'`)).rowCount).toBe(0);
    });

    const text = await runCli(['migrate', '--dry-run'], { cwd: dir, timeoutMs: 120_000 });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /partition 0 \(postgres:\/\/.*\): \d+ migration\(s\) would apply; identity would be claimed as partition 0 of 2/,
    );
    expect(text.stdout).toMatch(/partition 1 \(postgres:\/\/.*\): \d+ migration\(s\) would apply/);
    expect(text.stdout).toContain('proxy (postgres://');
    expect(text.stdout).toContain('nothing changed');
    for (const index of [0, 1]) expect(await journalRows(index)).toBe(0);
  });

  it('migrate deploys every partition and the proxy, a line for each; status --json is then up to date, per partition and in total', async () => {
    const deployed = await runCli(['migrate'], { cwd: dir, timeoutMs: 180_000 });
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toMatch(/deployed {2}partition 0 \(postgres:\/\/.*\): \d+ migration\(s\) applied/);
    expect(deployed.stdout).toMatch(/deployed {2}partition 1 \(postgres:\/\/.*\): \d+ migration\(s\) applied/);
    expect(deployed.stdout).toMatch(/deployed {2}proxy \(postgres:\/\/.*\): routines and partition definitions generated/);

    // Members through the proxy: devices land on their partitions, and the totals add them up.
    await withDb(cluster.openProxy(), async (db) => {
      for (let i = 0; i < 12; i += 1)
        await db.query('SELECT * FROM ecliptix.register_app_device_if_not_exists($1, $2, 1)', [randomUUID(), randomUUID()]);
    });

    const result = await runCli(['status', '--json'], { cwd: dir, timeoutMs: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      upToDate: boolean;
      unreachable: string[];
      partitions: {
        index: number;
        reachable: boolean;
        upToDate: boolean;
        identityMatches: boolean;
        identity: { index: number; count: number };
        counts: { applied: number; pending: number };
        schema: { objects: { present: boolean }[] };
        data: { tables: { table: string; rows: number }[] };
      }[];
      proxy: {
        reachable: boolean;
        ready: boolean;
        plproxy: string;
        routines: { expected: number; present: number };
        definitionsMatch: boolean;
      };
      total: {
        partitions: number;
        reachable: number;
        upToDate: number;
        objectsPresent: number;
        totalRows: number;
        rows: { table: string; rows: number }[];
      };
    };
    expect(report.upToDate).toBe(true);
    expect(report.unreachable).toEqual([]);
    for (const [index, p] of report.partitions.entries()) {
      expect(p).toMatchObject({ index, reachable: true, upToDate: true, identityMatches: true, identity: { index, count: 2 } });
      expect(p.counts.pending).toBe(0);
      expect(p.counts.applied).toBeGreaterThan(10);
      expect(p.schema.objects.filter((o) => o.present)).toHaveLength(36);
    }
    expect(report.proxy).toMatchObject({ reachable: true, ready: true, definitionsMatch: true, routines: { expected: 19, present: 19 } });
    expect(report.proxy.plproxy).toMatch(/^\d+\.\d+/);
    const devices = report.partitions.map((p) => p.data.tables.find((t) => t.table === 'app_devices')!.rows);
    expect(devices[0]! + devices[1]!).toBe(12);
    expect(report.total).toMatchObject({ partitions: 2, reachable: 2, upToDate: 2, objectsPresent: 2, totalRows: 12 });
    expect(report.total.rows.find((t) => t.table === 'app_devices')!.rows).toBe(12);

    const text = await runCli(['status'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/partition 0 \(.*\): \d+ applied, 0 pending — up to date; identity partition 0 of 2; objects 36\/36/);
    expect(text.stdout).toContain('routines 19/19; 2 partition definitions match the configuration — ready');
    expect(text.stdout).toContain('total: 2/2 partitions up to date, 2/2 with all 36 objects, 12 rows — cluster up to date');

    // The partitions' identifier defaults are intended, not drift.
    const drift = await runCli(['status', '--drift', '--json'], { cwd: dir, timeoutMs: 120_000 });
    expect(drift.code).toBe(0);
    const drifted = (JSON.parse(drift.stdout) as { partitions: { drift?: unknown[] }[] }).partitions.map((p) => p.drift);
    expect(drifted).toEqual([[], []]);

    // A second migrate changes nothing, and its dry run says so.
    const again = await runCli(['migrate', '--json'], { cwd: dir, timeoutMs: 120_000 });
    expect(again.code).toBe(0);
    const second = JSON.parse(again.stdout) as {
      migrationsApplied: number;
      proxy: { generated: string };
      partitions: { identity: string }[];
    };
    expect(second.migrationsApplied).toBe(0);
    expect(second.proxy.generated).toBe('unchanged');
    expect(second.partitions.map((p) => p.identity)).toEqual(['confirmed', 'confirmed']);
    const dry = await runCli(['migrate', '--dry-run'], { cwd: dir, timeoutMs: 120_000 });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing to apply; the cluster is up to date');
  });

  it('status names a partition that cannot be reached, exits 3, and still reports the others', async () => {
    // Partition 1 on a port nothing listens on: the same cluster otherwise.
    const wrongPort = cluster.config.partitions[1]!.replace(/:(\d+)\//, ':1/');
    const elsewhere = configDir({
      cluster: { ...cluster.config, partitions: [cluster.config.partitions[0], wrongPort] },
      connectTimeoutMs: 3000,
    });
    const refused = await runCli(['status'], { cwd: elsewhere });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toMatch(/partition 0 \(.*\): .* up to date; identity partition 0 of 2/);
    expect(refused.stdout).toMatch(/UNREACHABLE {2}partition 1 \(postgres:\/\/[^)]*:1\/[^)]*\): .*connection refused/);
    expect(refused.stdout).toContain('routines 19/19');
    expect(refused.stderr).toMatch(/cannot read partition 1 \(/);

    const migrateRefused = await runCli(['migrate'], { cwd: elsewhere });
    expect(migrateRefused.code).toBe(3);
    expect(migrateRefused.stderr).toMatch(/partition 1 \(postgres:\/\/[^)]*:1\//);

    // Partition 1's database dropped.
    await dropPostgresDatabase(inject('adminUrl'), cluster.partitionNames[1]!);
    const dropped = await runCli(['status', '--json'], { cwd: dir });
    expect(dropped.code).toBe(3);
    const report = JSON.parse(dropped.stdout) as {
      upToDate: boolean;
      unreachable: string[];
      partitions: { index: number; reachable: boolean; upToDate?: boolean; error?: string; code?: string }[];
      proxy: { reachable: boolean };
      total: { reachable: number; upToDate: number };
    };
    expect(report.upToDate).toBe(false);
    expect(report.partitions[0]).toMatchObject({ index: 0, reachable: true, upToDate: true });
    expect(report.partitions[1]).toMatchObject({ index: 1, reachable: false, code: 'CONNECTION_FAILED' });
    expect(report.partitions[1]!.error).toMatch(new RegExp(`^partition 1 \\(.*${cluster.partitionNames[1]}\\): database missing`));
    expect(report.unreachable).toEqual([expect.stringMatching(/^partition 1 \(/)]);
    expect(report.proxy.reachable).toBe(true);
    expect(report.total).toMatchObject({ reachable: 1, upToDate: 1 });
    expect(dropped.stderr).toContain(`cannot read partition 1 (`);
  });
});

describe('a failed cluster migrate, finished by running it again; partitions listed in another order', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await createTestCluster(2);
  });
  afterAll(async () => {
    await cluster?.drop();
  });

  it('names the partition that fails (exit 3), a re-run finishes; reordered URLs are caught by the dry run (exit 5) and by status', async () => {
    const dir = configDir({ cluster: cluster.config, lockTimeoutMs: 30_000 });
    const adminUrl = inject('adminUrl');
    await dropPostgresDatabase(adminUrl, cluster.partitionNames[1]!);
    const failed = await runCli(['migrate'], { cwd: dir, timeoutMs: 120_000 });
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(new RegExp(`partition 1 \\(postgres://[^)]*/${cluster.partitionNames[1]}\\): database missing`));

    await createPostgresDatabase(adminUrl, cluster.partitionNames[1]!);
    const finished = await runCli(['migrate', '--json'], { cwd: dir, timeoutMs: 180_000 });
    expect(finished.stderr).toBe('');
    expect(finished.code).toBe(0);
    const report = JSON.parse(finished.stdout) as { partitions: { identity: string; migrationsApplied: number }[] };
    expect(report.partitions.map((p) => p.identity)).toEqual(['confirmed', 'claimed']);
    expect(report.partitions.every((p) => p.migrationsApplied > 10)).toBe(true);
    const status = await runCli(['status', '--json'], { cwd: dir });
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { upToDate: boolean }).upToDate).toBe(true);

    const swapped = configDir({ cluster: { ...cluster.config, partitions: [...cluster.config.partitions].reverse() } });
    const dry = await runCli(['migrate', '--dry-run'], { cwd: swapped, timeoutMs: 120_000 });
    expect(dry.code).toBe(5);
    expect(dry.stderr).toMatch(/partition 0 \(.*\): this database is partition 1 of 2, not partition 0 of 2/);
    const mixed = await runCli(['status', '--json'], { cwd: swapped });
    expect(mixed.code).toBe(0);
    const mixedReport = JSON.parse(mixed.stdout) as {
      upToDate: boolean;
      proxy: { definitionsMatch: boolean };
      partitions: { identityMatches: boolean; problems: string[] }[];
    };
    expect(mixedReport.upToDate).toBe(false);
    expect(mixedReport.proxy.definitionsMatch).toBe(false);
    expect(mixedReport.partitions.map((p) => p.identityMatches)).toEqual([false, false]);
    expect(mixedReport.partitions[0]!.problems).toContain('this database is partition 1 of 2, not partition 0 of 2 as configured');
  });
});
