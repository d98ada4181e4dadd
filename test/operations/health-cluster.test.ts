/**
 * `health` on a PL/Proxy cluster (server only: PGlite cannot host PL/Proxy):
 * every partition and the proxy checked and reported by name; a finding on
 * one partition is that partition's; a member that cannot be reached is CRIT,
 * named, and the others are still checked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterHealth, type ClusterHealthReport, type HealthThresholds } from '../../src/commands/health.js';
import { openPostgres } from '../../src/db/postgres.js';
import { maskDatabaseUrl } from '../../src/util/redact.js';
import { deployedTestCluster, withDb, type TestCluster } from '../cluster/support.js';
import { runCli } from '../support/cli.js';

/** Connections are server-wide and the test server is shared with other suites: not judged here. */
const SHARED_SERVER: HealthThresholds = { connections: { warn: null, crit: null } };
const NO_CONNECTIONS = ['--threshold', 'connections.warn=off', '--threshold', 'connections.crit=off'];

describe('health on a cluster (server only: postgres + PL/Proxy)', () => {
  let cluster: TestCluster;
  let dir: string;
  let configFile: string;
  beforeAll(async () => {
    ({ cluster } = await deployedTestCluster(2, { fromSchemaTemplate: true }));
    dir = mkdtempSync(join(tmpdir(), 'persistor-health-cluster-'));
    configFile = join(dir, 'ecliptix-persistor.config.json');
    writeFileSync(configFile, JSON.stringify({ cluster: cluster.config }));
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await cluster?.drop();
  });
  const names = () => [
    `partition 0 (${maskDatabaseUrl(cluster.config.partitions[0]!)})`,
    `partition 1 (${maskDatabaseUrl(cluster.config.partitions[1]!)})`,
    `proxy (${maskDatabaseUrl(cluster.config.proxy)})`,
  ];

  it('checks every partition and the proxy, each reported under its name; a finding on partition 1 is partition 1’s', async () => {
    const healthy = await clusterHealth({ cluster: cluster.config, snapshot: false, thresholds: SHARED_SERVER });
    expect(healthy.members.map((m) => m.name)).toEqual(names());
    expect(healthy.failed).toEqual([]);
    for (const m of healthy.members) expect(m.report?.findings.length).toBeGreaterThan(10);
    expect(healthy.members.filter((m) => m.report!.worst !== 'OK').map((m) => m.name)).toEqual([]);
    // The proxy holds no rows: its clean-up backlog is skipped, saying why; nothing else is.
    expect(healthy.members[2]!.report!.findings.filter((f) => f.level === 'SKIPPED')).toEqual([
      expect.objectContaining({
        check: 'cleanup-backlog',
        message: "skipped: the cluster's proxy holds no rows (each partition reports its own)",
      }),
    ]);
    expect(healthy.members[0]!.report!.findings.filter((f) => f.level === 'SKIPPED')).toEqual([]);

    // A rebuild's leftover is invalid (a valid index is never one): marked so, as an interrupted REINDEX leaves it.
    await withDb(cluster.openPartition(1), async (db) => {
      await db.exec('CREATE INDEX ix_event_log_created_at_ccnew ON ecliptix.event_log (created_at)');
      await db.exec("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ecliptix.ix_event_log_created_at_ccnew'::regclass");
    });
    try {
      const fired: ClusterHealthReport = await clusterHealth({ cluster: cluster.config, snapshot: false, thresholds: SHARED_SERVER });
      expect(fired.worst).toBe('WARN');
      expect(fired.members.map((m) => m.report?.worst)).toEqual(['OK', 'WARN', 'OK']);
      expect(fired.members[1]!.report!.findings.find((f) => f.check === 'reindex-leftovers')).toMatchObject({
        level: 'WARN',
        subject: 'ecliptix.ix_event_log_created_at_ccnew',
      });
    } finally {
      await withDb(cluster.openPartition(1), (db) => db.exec('DROP INDEX ecliptix.ix_event_log_created_at_ccnew'));
    }
  });

  it('the command line: per member, exit 0; a partition that cannot be reached is CRIT and named, the others still checked, exit 7', async () => {
    const ok = await runCli(['health', '--config', configFile, ...NO_CONNECTIONS], { timeoutMs: 120_000 });
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
    for (const name of names()) expect(ok.stdout).toContain(name);
    expect(ok.stdout).toMatch(/cluster: worst OK — p0 OK, p1 OK, proxy OK \(exit 0\)/);

    const admin = await openPostgres({ databaseUrl: inject('adminUrl'), connectTimeoutMs: 10_000, maxConnections: 1 });
    const p1 = cluster.partitionNames[1]!;
    await admin.exec(`ALTER DATABASE "${p1}" ALLOW_CONNECTIONS false`);
    try {
      const failed = await runCli(['health', '--config', configFile, '--json', ...NO_CONNECTIONS], { timeoutMs: 120_000 });
      expect(failed.code).toBe(7);
      const report = JSON.parse(failed.stdout) as ClusterHealthReport;
      expect(report.worst).toBe('CRIT');
      expect(report.failed).toEqual([names()[1]]);
      expect(report.members[1]!.error).toMatch(/not currently accepting connections/);
      expect(report.members[0]!.report?.worst).toBe('OK');
      expect(report.members[2]!.report?.worst).toBe('OK');
      expect(failed.stderr).toContain(`health: CRIT — not reachable: ${names()[1]}`);
    } finally {
      await admin.exec(`ALTER DATABASE "${p1}" ALLOW_CONNECTIONS true`);
      await admin.close();
    }
  });
});
