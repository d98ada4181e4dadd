/**
 * Throw-away clusters on the test server: one proxy database and N partition
 * databases, dropped after. PGlite cannot host PL/Proxy (an extension in C),
 * so the cluster tests run on the real server only.
 */
import { inject } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { ClusterConfigInput } from '../../src/cluster/config.js';
import { deployCluster, type ClusterDeployment } from '../../src/cluster/deploy.js';
import { createPostgresDatabase, dropPostgresDatabase, uniqueDatabaseName } from '../support/postgres-admin.js';

export interface TestCluster {
  config: { proxy: string; partitions: string[] };
  /** The partition databases' names, in partition order. */
  partitionNames: string[];
  proxyName: string;
  openProxy(options?: { maxConnections?: number }): Promise<Database>;
  openPartition(index: number, options?: { maxConnections?: number }): Promise<Database>;
  drop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Start the partitions from the migrated schema template (faster) instead of empty databases. */
  fromSchemaTemplate?: boolean;
}

export async function createTestCluster(partitions: number, options: TestClusterOptions = {}): Promise<TestCluster> {
  const adminUrl = inject('adminUrl');
  const base = uniqueDatabaseName('persistor_cluster');
  const proxyName = `${base}_proxy`;
  const partitionNames = Array.from({ length: partitions }, (_, index) => `${base}_p${index}`);
  const created: string[] = [];
  const drop = async () => {
    for (const name of created.reverse()) await dropPostgresDatabase(adminUrl, name);
  };
  try {
    const proxy = await createPostgresDatabase(adminUrl, proxyName);
    created.push(proxyName);
    const urls: string[] = [];
    for (const name of partitionNames) {
      urls.push(await createPostgresDatabase(adminUrl, name, options.fromSchemaTemplate ? inject('postgresSchemaTemplate') : undefined));
      created.push(name);
    }
    const open = (url: string, maxConnections?: number) =>
      openPostgres({ databaseUrl: url, connectTimeoutMs: 10_000, ...(maxConnections === undefined ? {} : { maxConnections }) });
    return {
      config: { proxy, partitions: urls },
      partitionNames,
      proxyName,
      openProxy: (o = {}) => open(proxy, o.maxConnections),
      openPartition: (index, o = {}) => open(urls[index]!, o.maxConnections),
      drop,
    };
  } catch (error) {
    await drop();
    throw error;
  }
}

/** A cluster of `partitions`, deployed. */
export async function deployedTestCluster(
  partitions: number,
  options: TestClusterOptions = {},
): Promise<{ cluster: TestCluster; deployment: ClusterDeployment }> {
  const cluster = await createTestCluster(partitions, options);
  try {
    const deployment = await deployCluster(cluster.config satisfies ClusterConfigInput, { lockTimeoutMs: 30_000 });
    return { cluster, deployment };
  } catch (error) {
    await cluster.drop();
    throw error;
  }
}

/** Runs `work` with a database open, closing it after. */
export async function withDb<T>(open: Promise<Database>, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await open;
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}
