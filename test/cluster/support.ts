/**
 * Throw-away clusters on the test server: one proxy database and N partition
 * databases, dropped after. PGlite cannot host PL/Proxy (an extension in C),
 * so the cluster tests run on the real server only. A second instance of
 * the test's own (startSecondInstance) holds partitions on another server.
 */
import { afterAll, beforeAll, inject } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { ClusterConfigInput } from '../../src/config/cluster.js';
import { deployCluster, type ClusterDeployment } from '../../src/cluster/deploy.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { startThrowawayServer, type ThrowawayServer } from '../support/postgres-server.js';
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

/** A deployed cluster beside one migrated database, with connections to the proxy, every partition and the database. */
export interface ClusterBesideOneDatabase {
  readonly cluster: TestCluster;
  readonly proxyDb: Database;
  readonly partitions: readonly Database[];
  readonly singleDb: Database;
}

/**
 * For the calling describe block: before all its tests, a cluster of
 * `partitionCount` (partitions from the schema template) and one database with
 * the schema, each opened; after them, closed and dropped. Read the fields
 * inside tests and hooks.
 */
export function clusterBesideOneDatabase(partitionCount: number, options: { proxyConnections?: number } = {}): ClusterBesideOneDatabase {
  let state: { cluster: TestCluster; single: TestDatabase; singleDb: Database; proxyDb: Database; partitions: Database[] } | undefined;
  let cluster: TestCluster | undefined;
  let single: TestDatabase | undefined;
  const opened: Database[] = [];
  beforeAll(async () => {
    ({ cluster } = await deployedTestCluster(partitionCount, { fromSchemaTemplate: true }));
    single = await createTestDatabase('postgres', { withSchema: true });
    const singleDb = await single.open();
    opened.push(singleDb);
    const proxyDb = await cluster.openProxy(options.proxyConnections === undefined ? {} : { maxConnections: options.proxyConnections });
    opened.push(proxyDb);
    const partitions = await Promise.all(Array.from({ length: partitionCount }, (_, i) => cluster!.openPartition(i)));
    opened.push(...partitions);
    state = { cluster, single, singleDb, proxyDb, partitions };
  });
  afterAll(async () => {
    await Promise.allSettled(opened.map((db) => db.close()));
    await single?.drop();
    await cluster?.drop();
  });
  const current = () => {
    if (!state) throw new Error('clusterBesideOneDatabase: read it inside a test or hook');
    return state;
  };
  return {
    get cluster() {
      return current().cluster;
    },
    get proxyDb() {
      return current().proxyDb;
    },
    get partitions() {
      return current().partitions;
    },
    get singleDb() {
      return current().singleDb;
    },
  };
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

/** A second PostgreSQL server for partitions of the test's own, which can be stopped and started again. */
export function startSecondInstance(): Promise<ThrowawayServer> {
  return startThrowawayServer({ max_connections: '100', shared_buffers: '32MB' });
}
