/**
 * What a command needs to work on a PL/Proxy cluster (the config file's
 * `cluster` key, docs/SCALE-OUT.md): the validated configuration and the
 * cluster's databases — every partition and the proxy — each opened from its
 * URL, named in every error by its index and masked URL.
 */
import type { ClusterConfig } from '../config/cluster.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { PersistorError, isPersistorError, messageOf } from '../errors.js';
import { shippedMigrationsDir } from '../sql-files.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { maskDatabaseUrl } from '../util/redact.js';
import { resolveConfig, type PersistorOptions } from './runtime.js';

/** One database of the cluster: a partition (with its index) or the proxy. */
export interface ClusterMember {
  kind: 'partition' | 'proxy';
  /** The partition's index (partition order); undefined for the proxy. */
  index?: number;
  url: string;
  /** The URL, password masked. */
  target: string;
  /** How messages name it: `partition 1 (postgres://deployer:****@db1:5432/p1)` or `proxy (…)`. */
  name: string;
}

/** A member of the cluster, open. */
export interface OpenClusterMember extends ClusterMember {
  db: Database;
}

/** What {@link withCluster} hands its work: the configuration, the cluster, every partition and the proxy open. */
export interface ClusterRuntime {
  config: Config;
  cluster: ClusterConfig;
  /** In partition order. */
  partitions: OpenClusterMember[];
  proxy: OpenClusterMember;
  logger: Logger;
  migrationsDir: string;
}

/** `partition 2 (postgres://…:****@…)` — how every cluster message names a partition. */
function partitionName(index: number, url: string): string {
  return `partition ${index} (${maskDatabaseUrl(url)})`;
}

/** `proxy (postgres://…:****@…)`. */
function proxyName(url: string): string {
  return `proxy (${maskDatabaseUrl(url)})`;
}

/** The cluster's members, partitions in order then the proxy. */
export function clusterMembers(cluster: ClusterConfig): { partitions: ClusterMember[]; proxy: ClusterMember } {
  return {
    partitions: cluster.partitions.map((url, index) => ({
      kind: 'partition',
      index,
      url,
      target: maskDatabaseUrl(url),
      name: partitionName(index, url),
    })),
    proxy: { kind: 'proxy', url: cluster.proxy, target: maskDatabaseUrl(cluster.proxy), name: proxyName(cluster.proxy) },
  };
}

/** An error of one member, its message prefixed with the member's name; the code (and so the exit code) kept. */
export function errorAt(member: ClusterMember, error: unknown): PersistorError {
  if (isPersistorError(error)) {
    if (error.message.startsWith(`${member.name}: `)) return error;
    return new PersistorError(error.code, `${member.name}: ${error.message}`, { details: error.details, cause: error });
  }
  return new PersistorError('OPERATION_FAILED', `${member.name}: ${messageOf(error)}`, { cause: error });
}

/** Opens one member of the cluster; a failure is CONNECTION_FAILED (exit 3) naming it. */
export async function openClusterMember(config: Config, member: ClusterMember, maxConnections = 2): Promise<OpenClusterMember> {
  try {
    const db = await openDatabase(
      { databaseUrl: member.url, dataDir: config.dataDir, connectTimeoutMs: config.connectTimeoutMs, lockTimeoutMs: config.lockTimeoutMs },
      { maxConnections },
    );
    return { ...member, db };
  } catch (error) {
    throw errorAt(member, error);
  }
}

/** A member that could not be opened: the error names it (CONNECTION_FAILED and the like). */
export interface UnreachableClusterMember extends ClusterMember {
  error: PersistorError;
}

/**
 * Opens each of `members` on its own and runs `work` with every one, open or
 * unreachable, in the order given; closes those opened whatever happens. For
 * commands that report a member they cannot reach and go on with the others
 * (cleanup, verify), where {@link withCluster} stops at the first.
 */
export async function withEachMember<T>(
  config: Config,
  members: readonly ClusterMember[],
  work: (members: readonly (OpenClusterMember | UnreachableClusterMember)[]) => Promise<T>,
): Promise<T> {
  const opened = await Promise.all(
    members.map((member) =>
      openClusterMember(config, member).then(
        (open): OpenClusterMember | UnreachableClusterMember => open,
        (error: unknown) => ({ ...member, error: errorAt(member, error) }),
      ),
    ),
  );
  try {
    return await work(opened);
  } finally {
    await Promise.allSettled(opened.map((member) => ('db' in member ? member.db.close() : undefined)));
  }
}

/** The validated configuration and its cluster; INVALID_CONFIG (exit 2) when no cluster is configured. */
export function resolveClusterConfig(options: PersistorOptions): { config: Config; cluster: ClusterConfig } {
  const config = resolveConfig(options);
  if (!config.cluster)
    throw new PersistorError('INVALID_CONFIG', 'invalid configuration: no cluster configured (the config file\'s "cluster" key)');
  return { config, cluster: config.cluster };
}

/**
 * Opens every partition and the proxy, runs `work`, and closes them all
 * whether it succeeds or throws. A database that cannot be reached is a
 * CONNECTION_FAILED error (exit 3) naming it (`partition 1 (postgres://…:****@…): …`),
 * after the ones already open are closed.
 *
 * @example
 * ```ts
 * const counts = await withCluster(options, ({ partitions }) =>
 *   Promise.all(partitions.map(async (p) => (await p.db.query('SELECT 1')).rowCount)),
 * )
 * ```
 */
export async function withCluster<T>(options: PersistorOptions, work: (runtime: ClusterRuntime) => Promise<T>): Promise<T> {
  const { config, cluster } = resolveClusterConfig(options);
  const logger = options.logger ?? silentLogger;
  const members = clusterMembers(cluster);
  const opened: OpenClusterMember[] = [];
  try {
    for (const member of [...members.partitions, members.proxy]) opened.push(await openClusterMember(config, member));
    logger.debug({ partitions: cluster.partitions.length }, 'cluster opened');
    return await work({
      config,
      cluster,
      partitions: opened.slice(0, -1),
      proxy: opened.at(-1)!,
      logger,
      migrationsDir: config.migrationsDir ?? shippedMigrationsDir,
    });
  } finally {
    await Promise.allSettled(opened.map((member) => member.db.close()));
  }
}
