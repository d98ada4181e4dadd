/**
 * `verify`, `cleanup` and `backup` on a whole cluster (issue 11), per
 * partition and in total, naming the database that fails — on the real server
 * only (PGlite cannot host PL/Proxy), a throw-away cluster of 2 partitions.
 *
 * - verify passes on a fresh cluster (the partitions' identifier defaults are
 *   their only accepted difference from the shipped schema); it fails naming
 *   partition 1 when a routine there is edited, partition 0 when one of its
 *   unique_id defaults is put back to gen_random_uuid(), and both partitions
 *   when the proxy's server definition lists them in the wrong order;
 * - cleanup removes exactly the expired rows of each partition (placed
 *   relative to each partition's database clock, as test/operations'
 *   clean-up tests place them), its per-partition counts adding up to the
 *   totals; a partition that fails is named and the other still runs;
 * - backup writes p0.dump, p1.dump, proxy.dump and manifest.json, and
 *   partition 1's file restored into a new database has partition 1's rows.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { partitionConnectionString } from '../../src/cluster/generate.js';
import type { Database } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
import { isPersistorError } from '../../src/errors.js';
import { CLEANUP_LOCK_KEY } from '../../src/operations/cleanup.js';
import { backupCluster } from '../../src/operations/cluster-backup.js';
import { cleanupCluster } from '../../src/operations/cluster-cleanup.js';
import { CLUSTER_CORE_CHECKS_NOTE, verifyCluster, type ClusterDatabase, type OpenCluster } from '../../src/operations/cluster-verify.js';
import { restoreDatabase } from '../../src/operations/restore.js';
import { verifyDatabase } from '../../src/operations/verify.js';
import { parseClusterConfig, type ClusterConfig } from '../../src/config/cluster.js';
import { shippedMigrationsDir, sqlFile } from '../../src/sql-files.js';
import { maskDatabaseUrl } from '../../src/util/redact.js';
import { MANIFEST } from '../../src/schema/manifest.js';
import { createPostgresDatabase, dropPostgresDatabase, uniqueDatabaseName } from '../support/postgres-admin.js';
import { expectedGo, labelOutcome, loadRetentionData, RULE_NAMES, type RetentionDataSize } from '../operations/retention-data.js';
import { runCli } from '../support/cli.js';
import { deployedTestCluster, type TestCluster } from './support.js';

const VERIFY = { migrationsDir: shippedMigrationsDir, lockTimeoutMs: 30_000 };
const TABLES_WITH_UNIQUE_ID = ['app_devices', 'membership_attempts', 'memberships', 'otp_records', 'phone_numbers', 'verification_flows'];

describe('verify, cleanup and backup on a cluster (postgres + PL/Proxy)', () => {
  let cluster: TestCluster;
  let config: ClusterConfig;
  let open: OpenCluster & { partitions: ClusterDatabase[]; proxy: ClusterDatabase };
  const opened: Database[] = [];

  beforeAll(async () => {
    ({ cluster } = await deployedTestCluster(2, { fromSchemaTemplate: true }));
    config = parseClusterConfig(cluster.config);
    const member = async (name: string, db: Promise<Database>): Promise<ClusterDatabase> => {
      const d = await db;
      opened.push(d);
      return { name, db: d };
    };
    open = {
      partitions: [
        await member(`partition 0 (${maskDatabaseUrl(config.partitions[0]!)})`, cluster.openPartition(0, { maxConnections: 3 })),
        await member(`partition 1 (${maskDatabaseUrl(config.partitions[1]!)})`, cluster.openPartition(1, { maxConnections: 3 })),
      ],
      proxy: await member(`proxy (${maskDatabaseUrl(config.proxy)})`, cluster.openProxy({ maxConnections: 3 })),
    };
  });
  afterAll(async () => {
    await Promise.allSettled(opened.map((db) => db.close()));
    await cluster?.drop();
  });
  const partition = (index: number) => open.partitions[index]!.db;

  describe('cleanup', () => {
    const sizes: RetentionDataSize[] = [
      { go: 4, stay: 3 },
      { go: 9, stay: 3 },
    ];

    // First in the file: the rows are loaded by id into partitions whose sequences nothing has used yet.
    it('removes the expired rows of each partition; per-partition counts add up to the totals; a dry run only counts', async () => {
      for (const [index, size] of sizes.entries()) await loadRetentionData(partition(index), size);
      const go = sizes.map((size) => expectedGo(size));
      const sum = (rule: (typeof RULE_NAMES)[number]) => go[0]![rule] + go[1]![rule];

      const dry = await cleanupCluster(open.partitions, { dryRun: true });
      expect(dry.failed).toEqual([]);
      expect(dry.totalAffected).toBe(0);
      for (const [index, p] of dry.partitions.entries())
        expect(Object.fromEntries(p.report!.rules.map((r) => [r.rule, r.matched]))).toEqual(go[index]);
      expect(Object.fromEntries(dry.totals.map((t) => [t.rule, t.matched]))).toEqual(
        Object.fromEntries(RULE_NAMES.map((r) => [r, sum(r)])),
      );

      const run = await cleanupCluster(open.partitions, { batchSize: 5, parallel: 2 });
      expect(run.failed).toEqual([]);
      expect(run.interrupted).toBe(false);
      for (const [index, p] of run.partitions.entries()) {
        expect(p.name).toBe(open.partitions[index]!.name);
        expect(Object.fromEntries(p.report!.rules.map((r) => [r.rule, r.affected]))).toEqual(go[index]);
        const outcome = await labelOutcome(partition(index), go[index]!);
        for (const rule of RULE_NAMES)
          expect({ index, rule, ...outcome.rules[rule] }).toEqual({ index, rule, goDone: go[index]![rule], goLeft: 0 });
        for (const [table, kept] of Object.entries(outcome.tables))
          expect({ index, table, touched: kept.keptTouched }).toEqual({ index, table, touched: 0 });
      }
      expect(Object.fromEntries(run.totals.map((t) => [t.rule, t.affected]))).toEqual(
        Object.fromEntries(RULE_NAMES.map((r) => [r, sum(r)])),
      );
      expect(run.totalAffected).toBe(run.partitions.reduce((total, p) => total + p.report!.totalAffected, 0));
      expect(run.totalAffected).toBe(RULE_NAMES.reduce((total, r) => total + sum(r), 0));

      const again = await cleanupCluster(open.partitions);
      expect(again.totalAffected).toBe(0);
    });

    it('names a partition that fails and still cleans up the others', async () => {
      // Another clean-up holds partition 0's lock.
      await partition(0).withSession(async (session) => {
        await session.query('SELECT pg_advisory_lock($1::bigint)', [CLEANUP_LOCK_KEY]);
        try {
          const report = await cleanupCluster(open.partitions);
          expect(report.failed).toEqual([open.partitions[0]!.name]);
          expect(report.partitions[0]!.error).toMatch(/another clean-up is running/);
          expect(report.partitions[1]!.report!.rules).toHaveLength(RULE_NAMES.length);
          expect(report.partitions[1]!.error).toBeUndefined();
          expect(report.totals.map((t) => t.rule)).toEqual([...RULE_NAMES]);
        } finally {
          await session.query('SELECT pg_advisory_unlock($1::bigint)', [CLEANUP_LOCK_KEY]);
        }
      });
    });
  });

  describe('verify', () => {
    it('passes on a fresh cluster: every partition (its identifier defaults accepted, nothing else) and the proxy', async () => {
      const report = await verifyCluster(open, config, VERIFY);
      const failing = [
        ...report.partitions.flatMap((p) => [
          ...p.checks.filter((c) => !c.passed).map((c) => `${p.name} ${c.name}: ${c.details.join('; ')}`),
          ...(p.report?.criteria ?? []).filter((c) => !c.passed).map((c) => `${p.name} ${c.number}: ${c.details.join('; ')}`),
          ...(p.error ? [p.error] : []),
        ]),
        ...report.proxy.checks.filter((c) => !c.passed).map((c) => `proxy ${c.name}: ${c.details.join('; ')}`),
      ];
      expect(failing).toEqual([]);
      expect(report.passed).toBe(true);
      expect(report.failed).toEqual([]);
      expect(report.partitions.map((p) => p.checks.map((c) => [c.name, c.passed]))).toEqual([
        [
          ['identity', true],
          ['proxy route', true],
          ['reached through the proxy', true],
        ],
        [
          ['identity', true],
          ['proxy route', true],
          ['reached through the proxy', true],
        ],
      ]);
      expect(report.proxy.checks.map((c) => [c.name, c.passed])).toEqual([
        ['plproxy', true],
        ['cluster definition', true],
        ['routines', true],
      ]);
      // The core checks ran on each partition (rolled back), and the report says why not through the proxy.
      for (const p of report.partitions) expect(p.report!.coreChecks.passed).toBe(true);
      expect(report.notes).toContain(CLUSTER_CORE_CHECKS_NOTE);
      // Without the partition option the same drift check reports exactly the identifier defaults: that is what it accepts.
      const plain = await verifyDatabase(partition(1), VERIFY);
      expect(plain.drift.map((d) => [d.kind, d.name]).sort()).toEqual(TABLES_WITH_UNIQUE_ID.map((t) => ['table', t]));
      expect(plain.drift.flatMap((d) => d.live)).toEqual(
        TABLES_WITH_UNIQUE_ID.map(() => 'column unique_id uuid not null default ecliptix_partition.new_unique_id()'),
      );
    });

    it('fails naming partition 1 when a routine there is edited, and partition 0 when a unique_id default is not the partition’s', async () => {
      const routineFile = join(shippedMigrationsDir, 'functions', 'R__get_phone_number.sql');
      const shipped = readFileSync(routineFile, 'utf8');
      await partition(1).exec(shipped.replace('and not p.is_deleted', 'and not p.is_deleted -- edited by hand'));
      try {
        const report = await verifyCluster(open, config, VERIFY);
        expect(report.passed).toBe(false);
        expect(report.failed).toEqual([open.partitions[1]!.name]);
        const criterion2 = report.partitions[1]!.report!.criteria.find((c) => c.number === 2)!;
        expect(criterion2.passed).toBe(false);
        expect(criterion2.details).toEqual(['drift: routine get_phone_number differs from what the project ships']);
        expect(report.partitions[0]!.passed).toBe(true);
      } finally {
        await partition(1).exec(shipped);
      }

      // Only the partition's own generator is accepted: a default put back to the shipped one is drift.
      await partition(0).exec('ALTER TABLE ecliptix.memberships ALTER COLUMN unique_id SET DEFAULT gen_random_uuid()');
      try {
        const report = await verifyCluster(open, config, VERIFY);
        expect(report.failed).toEqual([open.partitions[0]!.name]);
        expect(report.partitions[0]!.report!.drift.map((d) => d.name)).toEqual(['memberships']);
      } finally {
        await partition(0).exec('ALTER TABLE ecliptix.memberships ALTER COLUMN unique_id SET DEFAULT ecliptix_partition.new_unique_id()');
      }
      expect((await verifyCluster(open, config, VERIFY)).passed).toBe(true);
    });

    it('fails naming both partitions when the proxy’s server definition lists them in the wrong order', async () => {
      const [p0, p1] = config.partitions.map((url) => partitionConnectionString(url, config.partitionConnectTimeoutSeconds));
      const swap = (a: string, b: string) =>
        open.proxy.db.exec(`ALTER SERVER ecliptix OPTIONS (SET p0 '${a}', SET p1 '${b}')`.replace(/\n/g, ' '));
      await swap(p1!, p0!);
      try {
        const report = await verifyCluster(open, config, VERIFY);
        expect(report.passed).toBe(false);
        expect(report.failed).toEqual([open.partitions[0]!.name, open.partitions[1]!.name, open.proxy.name]);
        const route = report.partitions[0]!.checks.find((c) => c.name === 'proxy route')!;
        expect(route.passed).toBe(false);
        expect(route.details[0]).toContain(`sends partition 0's calls to ${p1}, which is partition 1's database in the configuration`);
        expect(report.partitions[1]!.checks.find((c) => c.name === 'proxy route')!.details[0]).toContain("partition 0's database");
        // Each partition's own checklist still passes: the fault is the proxy's.
        expect(report.partitions.every((p) => p.report!.passed)).toBe(true);
      } finally {
        await swap(p0!, p1!);
      }
    });
  });

  describe('backup', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'persistor-cluster-backup-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const backupConfig = () => ({
      cluster: config,
      backupDir: dir,
      connectTimeoutMs: 10_000,
      lockTimeoutMs: 30_000,
      dataDir: join(dir, 'db'),
    });

    it('writes one file per partition, the proxy and a manifest; partition 1’s file restores to the same row counts', async () => {
      const result = await backupCluster(backupConfig());
      expect(result.directory.startsWith(dir)).toBe(true);
      expect(result.directory).toMatch(/-cluster$/);
      expect(readdirSync(result.directory).sort()).toEqual(['manifest.json', 'p0.dump', 'p1.dump', 'proxy.dump']);
      for (const file of readdirSync(result.directory)) expect(statSync(join(result.directory, file)).mode & 0o777).toBe(0o600);
      const manifest = JSON.parse(readFileSync(join(result.directory, 'manifest.json'), 'utf8')) as typeof result.manifest;
      expect(manifest).toEqual(result.manifest);
      expect(manifest.partitionCount).toBe(2);
      expect(manifest.partitions.map((p) => [p.index, p.identity, p.file, p.target])).toEqual([
        [0, { index: 0, count: 2 }, 'p0.dump', maskDatabaseUrl(config.partitions[0]!)],
        [1, { index: 1, count: 2 }, 'p1.dump', maskDatabaseUrl(config.partitions[1]!)],
      ]);
      for (const p of [...manifest.partitions, manifest.proxy!]) expect(p.bytes).toBe(statSync(join(result.directory, p.file)).size);
      expect(manifest.proxy!.file).toBe('proxy.dump');

      // Every table's rows (the query restore reports with), and limit guards besides.
      const counts = async (db: Database) => [
        ...(
          await db.query<{ table_name: string; counts: number[] }>(sqlFile('operations/row-counts.sql'), [
            MANIFEST.filter((o) => o.kind === 'table').map((o) => o.name),
          ])
        ).rows.map((r) => ({
          table: r.table_name,
          rows: Number(r.counts[0]),
        })),
      ];
      const adminUrl = inject('adminUrl');
      const name = uniqueDatabaseName('persistor_cluster_restored');
      const url = await createPostgresDatabase(adminUrl, name);
      try {
        const restored = await restoreDatabase(
          { databaseUrl: url, dataDir: join(dir, 'db'), connectTimeoutMs: 10_000, lockTimeoutMs: 30_000, backupDir: dir },
          { file: join(result.directory, 'p1.dump') },
        );
        const expected = await counts(partition(1));
        expect(expected.some((t) => t.rows > 0)).toBe(true);
        expect(restored.tables.map((t) => ({ table: t.table, rows: t.rows }))).toEqual(expected);
        const copy = await openPostgres({ databaseUrl: url, connectTimeoutMs: 10_000 });
        try {
          expect(await counts(copy)).toEqual(expected);
          const identity = await copy.query('SELECT partition_index, partition_count FROM ecliptix_partition.identity');
          expect(identity.rows).toEqual([{ partition_index: 1, partition_count: 2 }]);
        } finally {
          await copy.close();
        }
      } finally {
        await dropPostgresDatabase(adminUrl, name);
      }
    });

    it('backs up only the partitions asked for (the copy step of a move), without the proxy', async () => {
      const result = await backupCluster(backupConfig(), { partitions: [1], output: join(dir, 'move') });
      expect(readdirSync(result.directory).sort()).toEqual(['manifest.json', 'p1.dump']);
      expect(result.manifest.proxy).toBeUndefined();
      expect(result.manifest.partitions.map((p) => [p.index, p.identity])).toEqual([[1, { index: 1, count: 2 }]]);
      const error = await backupCluster(backupConfig(), { partitions: [2], output: join(dir, 'none') }).catch((e: unknown) => e);
      expect(isPersistorError(error) && error.code).toBe('INVALID_ARGUMENT');
      expect(existsSync(join(dir, 'none.partial'))).toBe(false);
    });

    it('refuses a configuration that lists the partitions in another order, naming the partition, and writes nothing', async () => {
      const output = join(dir, 'misordered');
      const swapped = { ...config, partitions: [config.partitions[1]!, config.partitions[0]!] };
      const error = await backupCluster({ ...backupConfig(), cluster: swapped }, { output }).catch((e: unknown) => e);
      expect(isPersistorError(error) && error.code).toBe('VALIDATION_FAILED');
      expect((error as Error).message).toMatch(/^partition 0 \(.*_p1\): this database is partition 1 of 2/);
      expect(existsSync(output)).toBe(false);
      expect(existsSync(`${output}.partial`)).toBe(false);
    });
  });
  it('verify with the proxy unreachable fails the proxy only: the partitions are verified, their proxy checks skipped', async () => {
    const report = await verifyCluster(
      { partitions: open.partitions, proxy: { name: open.proxy.name, unreachable: 'cannot connect to the proxy: refused' } },
      config,
      VERIFY,
    );
    expect(report.failed).toEqual([open.proxy.name]);
    expect(report.proxy.checks).toEqual([{ name: 'connection', passed: false, details: [expect.stringContaining('refused')] }]);
    for (const p of report.partitions) {
      expect(p.passed).toBe(true);
      const skipped = p.checks.filter((c) => c.skipped).map((c) => c.name);
      expect(skipped).toEqual(['proxy route', 'reached through the proxy']);
    }
  });

  // The built CLI (npm run build first) with the cluster in its config file.
  describe('the command line', () => {
    let dir: string;
    let configFile: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'persistor-cluster-cli-'));
      configFile = join(dir, 'ecliptix-persistor.config.json');
      writeFileSync(configFile, JSON.stringify({ cluster: cluster.config, backupDir: join(dir, 'backups') }));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const cli = (...args: string[]) => runCli([...args, '--config', configFile], { timeoutMs: 120_000 });

    it('verify: every partition and the proxy, exit 0; a drifted partition 1 is named, exit 5', async () => {
      const ok = await cli('verify');
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`PASS ${open.partitions[0]!.name}`);
      expect(ok.stdout).toContain(`PASS ${open.partitions[1]!.name}`);
      expect(ok.stdout).toContain(`PASS ${open.proxy.name}`);
      expect(ok.stdout).toContain('all 2 partitions and the proxy passed');

      const routineFile = join(shippedMigrationsDir, 'functions', 'R__get_phone_number.sql');
      const shipped = readFileSync(routineFile, 'utf8');
      await partition(1).exec(shipped.replace('and not p.is_deleted', 'and not p.is_deleted -- edited by hand'));
      try {
        const failed = await cli('verify', '--json');
        expect(failed.code).toBe(5);
        const report = JSON.parse(failed.stdout) as { passed: boolean; failed: string[] };
        expect(report).toMatchObject({ passed: false, failed: [open.partitions[1]!.name] });
        expect(failed.stderr).toContain(`verification failed on ${open.partitions[1]!.name}`);
      } finally {
        await partition(1).exec(shipped);
      }
    });

    it('verify: a partition that cannot be reached fails, named; the other partition and the proxy are still verified, exit 5', async () => {
      const admin = await openPostgres({ databaseUrl: inject('adminUrl'), connectTimeoutMs: 10_000, maxConnections: 1 });
      const p1 = cluster.partitionNames[1]!;
      await admin.exec(`ALTER DATABASE "${p1}" ALLOW_CONNECTIONS false`);
      try {
        const failed = await cli('verify');
        expect(failed.code).toBe(5);
        expect(failed.stdout).toContain(`PASS ${open.partitions[0]!.name}`);
        expect(failed.stdout).toContain(`FAIL ${open.partitions[1]!.name}`);
        expect(failed.stdout).toMatch(/FAIL {2}connection\n\s+cannot connect to .*not currently accepting connections/);
        // The proxy is read and its checks run and pass: only partition 1 is named.
        expect(failed.stdout).toContain(`PASS  plproxy`);
        expect(failed.stdout).toContain(`PASS ${open.proxy.name}`);
        expect(failed.stderr).toContain(`verification failed on ${open.partitions[1]!.name}`);
        expect(failed.stderr).not.toContain(open.partitions[0]!.name);
      } finally {
        await admin.exec(`ALTER DATABASE "${p1}" ALLOW_CONNECTIONS true`);
        await admin.close();
      }
    });

    it('cleanup: per partition and in total (--json); a failing partition is named, the other still runs, exit 1', async () => {
      const dry = await cli('cleanup', '--dry-run', '--json');
      expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(dry.stdout) as { dryRun: boolean; partitions: { name: string }[]; totals: unknown[]; failed: string[] };
      expect(report.dryRun).toBe(true);
      expect(report.partitions.map((p) => p.name)).toEqual(open.partitions.map((p) => p.name));
      expect(report.totals).toHaveLength(RULE_NAMES.length);

      await partition(0).withSession(async (session) => {
        await session.query('SELECT pg_advisory_lock($1::bigint)', [CLEANUP_LOCK_KEY]);
        try {
          const failed = await cli('cleanup');
          expect(failed.code).toBe(1);
          expect(failed.stdout).toContain(`FAIL ${open.partitions[0]!.name}`);
          expect(failed.stdout).toContain('total over 2 partitions');
          expect(failed.stderr).toContain(`clean-up failed on ${open.partitions[0]!.name}`);
        } finally {
          await session.query('SELECT pg_advisory_unlock($1::bigint)', [CLEANUP_LOCK_KEY]);
        }
      });
    });

    it('backup: the cluster directory under backupDir (--json)', async () => {
      const result = await cli('backup', '--json');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const { directory } = JSON.parse(result.stdout) as { directory: string };
      expect(directory.startsWith(join(dir, 'backups'))).toBe(true);
      expect(readdirSync(directory).sort()).toEqual(['manifest.json', 'p0.dump', 'p1.dump', 'proxy.dump']);
    });
  });
});
