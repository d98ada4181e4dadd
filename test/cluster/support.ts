/**
 * Throw-away clusters on the test server: one proxy database and N partition
 * databases, dropped after. PGlite cannot host PL/Proxy (an extension in C),
 * so the cluster tests run on the real server only. A second instance of
 * the test's own (startSecondInstance) holds partitions on another server.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { ClusterConfigInput } from '../../src/config/cluster.js';
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

/** A second PostgreSQL instance of this test's own (initdb'd under a temporary directory), which can be stopped and started again. */
export interface SecondInstance {
  adminUrl: string;
  stop(): void;
  start(): void;
  destroy(): void;
}

/** The newest PostgreSQL server binaries' directory (initdb, pg_ctl, pg_dump, pg_restore). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
  return join(root, version, 'bin');
}

export function startSecondInstance(): SecondInstance {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'persistor-cluster-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = 20000 + Math.floor(Math.random() * 20000);
  // initdb refuses to run as root: the server runs as the postgres user then.
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const run = (command: string, args: string[]) => {
    const [program, ...rest] = [...asUser, join(bin, command), ...args];
    const result = spawnSync(program!, rest, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=32MB`;
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const start = () => run('pg_ctl', ['-D', dataDir, '-o', options, '-w', '-l', join(dir, 'log'), 'start']);
  start();
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']),
    start,
    destroy: () => {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
