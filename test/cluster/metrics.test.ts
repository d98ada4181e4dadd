/**
 * `metrics` on a cluster (server only: PGlite cannot host PL/Proxy): every
 * partition and the proxy, each sample labelled with its member; a partition
 * that cannot be reached is its pg_up 0 (the others are still collected) and
 * exit 3.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type ParsedMetricFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgres } from '../../src/db/postgres.js';
import { runCli } from '../support/cli.js';
import { deployedTestCluster, type TestCluster } from './support.js';

function valueOf(families: readonly ParsedMetricFamily[], name: string, labels: Record<string, string>): number | undefined {
  const metric = families
    .find((f) => f.name === name)
    ?.metrics.find(
      (m) =>
        Object.entries(labels).every(([k, v]) => m.labels?.[k] === v) && Object.keys(m.labels ?? {}).length === Object.keys(labels).length,
    );
  return metric?.value === undefined ? undefined : Number(metric.value);
}

describe('metrics on a 2-partition cluster (postgres + PL/Proxy)', () => {
  let cluster: TestCluster;
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    ({ cluster } = await deployedTestCluster(2, { fromSchemaTemplate: true }));
    dir = mkdtempSync(join(tmpdir(), 'persistor-cluster-metrics-'));
    configFile = join(dir, 'ecliptix-persistor.config.json');
    writeFileSync(configFile, JSON.stringify({ cluster: cluster.config }));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await cluster?.drop();
  });

  it('labels every sample with its member; an unreachable partition is pg_up 0, the others are still collected, exit 3', async () => {
    const ok = await runCli(['metrics', '--config', configFile], { timeoutMs: 120_000 });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const families = parsePrometheusTextFormat(ok.stdout);
    for (const member of ['partition-0', 'partition-1', 'proxy']) expect(valueOf(families, 'pg_up', { member }), member).toBe(1);
    for (const member of ['partition-0', 'partition-1']) {
      expect(valueOf(families, 'ecliptix_schema_up_to_date', { member }), member).toBe(1);
      expect(valueOf(families, 'ecliptix_table_rows', { member, table: 'memberships' }), member).toBe(0);
    }
    // The proxy holds no rows and no migrations of its own to report.
    expect(valueOf(families, 'ecliptix_schema_up_to_date', { member: 'proxy' })).toBeUndefined();
    expect(families.find((f) => f.name === 'ecliptix_table_rows')!.metrics.some((m) => m.labels?.member === 'proxy')).toBe(false);

    const admin = await openPostgres({ databaseUrl: inject('adminUrl'), connectTimeoutMs: 10_000, maxConnections: 1 });
    const p1 = cluster.partitionNames[1]!;
    await admin.exec(`ALTER DATABASE "${p1}" ALLOW_CONNECTIONS false`);
    try {
      const down = await runCli(['metrics', '--config', configFile], { timeoutMs: 120_000 });
      expect(down.code).toBe(3);
      expect(down.stderr).toContain(`could not collect from`);
      expect(down.stderr).toContain(p1);
      const partial = parsePrometheusTextFormat(down.stdout);
      expect(valueOf(partial, 'pg_up', { member: 'partition-1' })).toBe(0);
      expect(valueOf(partial, 'pg_up', { member: 'partition-0' })).toBe(1);
      expect(valueOf(partial, 'pg_up', { member: 'proxy' })).toBe(1);
      expect(valueOf(partial, 'ecliptix_schema_up_to_date', { member: 'partition-0' })).toBe(1);
    } finally {
      await admin.exec(`ALTER DATABASE "${p1}" ALLOW_CONNECTIONS true`);
      await admin.close();
    }
  });
});
