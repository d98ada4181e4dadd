/**
 * `doctor` on a PL/Proxy cluster (the real server only: PGlite cannot host
 * PL/Proxy): each partition's and the proxy's connection test, `status` on the
 * cluster, each partition's failed journal entries — and a partition that
 * cannot be reached is in the report with its cause, exit 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/commands/doctor.js';
import { deployedTestCluster, type TestCluster } from '../cluster/support.js';
import { runCli } from '../support/cli.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

describe('doctor on a cluster (postgres + PL/Proxy)', () => {
  let cluster: TestCluster;
  let dir: string;

  beforeAll(async () => {
    ({ cluster } = await deployedTestCluster(2, { fromSchemaTemplate: true }));
    dir = mkdtempSync(join(tmpdir(), 'persistor-doctor-cluster-'));
  });
  afterAll(async () => {
    await cluster?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reports every partition's and the proxy's connection test, status on the cluster and a partition's failed entry", async () => {
    const password = 'Clu5terPassw0rd';
    const partitions = cluster.config.partitions.map((url) => withPassword(url, password));
    writeFileSync(join(dir, 'ecliptix-persistor.config.json'), JSON.stringify({ cluster: { proxy: cluster.config.proxy, partitions } }));
    const opened = await cluster.openPartition(1);
    try {
      await opened.query(
        `INSERT INTO persistor.schema_history (version, description, type, script, checksum, execution_ms, success, statements_applied, failure)
         VALUES ('900', 'half applied', 'versioned', 'V900__half_applied.sql', 'abc', 3, false, 0,
                 'statement 1 of 1 (line 2: CREATE TABLE ecliptix.memberships (id int)): relation "memberships" already exists')`,
      );
    } finally {
      await opened.close();
    }
    try {
      const result = await runCli(['doctor', '--json'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(password);
      const report = JSON.parse(result.stdout) as DoctorReport;
      expect(report.cluster!.members.map((m) => [m.name.replace(/ \(.*\)$/, ''), m.connection.ok])).toEqual([
        ['partition 0', true],
        ['partition 1', true],
        ['proxy', true],
      ]);
      expect(report.connection).toMatchObject({ ok: true, database: cluster.proxyName });
      expect(report.cluster!.status!.total).toMatchObject({ partitions: 2, reachable: 2 });
      expect(report.configuration.values.find((c) => c.key === 'cluster')).toMatchObject({ source: 'file' });
      expect(report.failedMigrations).toEqual([
        expect.objectContaining({ database: expect.stringMatching(/^partition 1 /), script: 'V900__half_applied.sql' }),
      ]);
      expect(report.findings.map((f) => f.rule)).toContain('already-exists');
    } finally {
      const cleanup = await cluster.openPartition(1);
      try {
        await cleanup.query("DELETE FROM persistor.schema_history WHERE version = '900'");
      } finally {
        await cleanup.close();
      }
    }
  });

  it('a partition that cannot be reached: named with its cause and fix, the others still reported, exit 0', async () => {
    const port = await closedPort();
    const partitions = [cluster.config.partitions[0]!, `postgres://postgres@127.0.0.1:${port}/ecliptix_p1`];
    writeFileSync(join(dir, 'ecliptix-persistor.config.json'), JSON.stringify({ cluster: { proxy: cluster.config.proxy, partitions } }));
    const result = await runCli(['doctor'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/partition 1 \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/ecliptix_p1\)\n\s+UNREACHABLE/);
    expect(result.stdout).toContain('[connection-refused]');
    expect(result.stdout).toContain('partition 0: up to date');
  });
});
