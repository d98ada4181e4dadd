/**
 * `migrate` on a cluster (the config file's `cluster` key): deployCluster —
 * every partition's identity, migrations and partition support, then the
 * routines generated on the partitions and the proxy — or, with `dryRun`,
 * what that would do per partition and on the proxy, changing nothing.
 */
import { deployCluster, type ClusterDeployment, type ClusterEvent } from '../cluster/deploy.js';
import { PersistorError } from '../errors.js';
import { Migrator, type AppliedMigration, type MigratorEvent } from '../migrator/migrator.js';
import { shippedMigrationsDir } from '../sql-files.js';
import { silentLogger } from '../util/logger.js';
import {
  clusterMembers,
  errorAt,
  openClusterMember,
  resolveClusterConfig,
  type ClusterMember,
  type OpenClusterMember,
} from './cluster-runtime.js';
import { expectedDigests, inspectProxy, readGeneratedDigest, readIdentity } from './cluster-inspect.js';
import type { PersistorOptions } from './runtime.js';

/** What a cluster deployment did: deployCluster's report, and the total of migrations applied. */
export interface ClusterMigrateReport extends ClusterDeployment {
  cluster: true;
  dryRun: false;
  /** Migrations applied over all partitions. */
  migrationsApplied: number;
}

/** What a cluster deployment would do on one partition. */
export interface PartitionPlan {
  index: number;
  /** The partition's URL, password masked. */
  target: string;
  /** `claim`: the database has no identity yet and would be given this index; `confirmed`: it has this index already. */
  identity: 'claim' | 'confirmed';
  /** The pending migrations, proven in a transaction that was rolled back (as `migrate --dry-run` does on one database). */
  wouldApply: AppliedMigration[];
  upToDate: boolean;
  /** The generated part (`_with_device` functions, grants): already what a deployment would generate, or to be (re)written. */
  generated: 'unchanged' | 'would apply';
}

/** What a cluster deployment would do, changing nothing. */
export interface ClusterDryRunReport {
  cluster: true;
  dryRun: true;
  partitions: PartitionPlan[];
  proxy: {
    target: string;
    /** PL/Proxy is installed in the proxy database (else the deployment runs `CREATE EXTENSION plproxy`, as a superuser). */
    plproxy: boolean;
    generated: 'unchanged' | 'would apply';
    /** In words, what the proxy step would do. */
    action: string;
  };
  /** Migrations that would apply over all partitions. */
  migrationsPending: number;
  /** Nothing would change anywhere. */
  upToDate: boolean;
}

/** A cluster deployment's progress: deployCluster's events, and in a dry run each partition's migrator events. */
export type ClusterMigrateEvent = ClusterEvent | { type: 'partition-migration'; index: number; target: string; event: MigratorEvent };

/** Options of {@link migrateCluster}. */
export interface MigrateClusterOptions extends PersistorOptions {
  dryRun?: boolean;
  onEvent?: (event: ClusterMigrateEvent) => void;
}

/**
 * Deploys the configured cluster (resumable: run it again after a failure
 * to finish), or with `dryRun` reports per partition and for the proxy what
 * it would do, proving each partition's pending migrations in a transaction
 * that is rolled back. Errors name the partition (index and masked URL) or
 * the proxy, with the exit code of their kind (3 connection, 4 migration, 5 a
 * partition listed at another index than it was deployed with).
 *
 * @example
 * ```ts
 * const report = await migrateCluster({ cluster: { proxy: 'postgres://db0/proxy', partitions: ['postgres://db0/p0', 'postgres://db1/p1'] } })
 * if (!report.dryRun) console.log(`${report.migrationsApplied} migration(s) applied`)
 * ```
 */
export async function migrateCluster(options: MigrateClusterOptions & { dryRun: true }): Promise<ClusterDryRunReport>;
export async function migrateCluster(options: MigrateClusterOptions & { dryRun?: false }): Promise<ClusterMigrateReport>;
export async function migrateCluster(options: MigrateClusterOptions): Promise<ClusterMigrateReport | ClusterDryRunReport>;
export async function migrateCluster(options: MigrateClusterOptions): Promise<ClusterMigrateReport | ClusterDryRunReport> {
  const { dryRun, onEvent, ...rest } = options;
  if (rest.db) throw new PersistorError('INVALID_ARGUMENT', 'migrate on a cluster opens its databases itself: pass no open db');
  const { config, cluster } = resolveClusterConfig(rest);
  const logger = rest.logger ?? silentLogger;
  const migrationsDir = config.migrationsDir ?? shippedMigrationsDir;
  if (dryRun) return planCluster(rest, onEvent);
  const deployment = await deployCluster(cluster, {
    migrationsDir,
    connectTimeoutMs: config.connectTimeoutMs,
    lockTimeoutMs: config.lockTimeoutMs,
    onEvent: (event) => {
      if (event.type === 'partition-done')
        logger.info({ partition: event.index, migrationsApplied: event.migrationsApplied }, 'partition deployed');
      onEvent?.(event);
    },
  });
  return {
    cluster: true,
    dryRun: false,
    ...deployment,
    migrationsApplied: deployment.partitions.reduce((sum, p) => sum + p.migrationsApplied, 0),
  };
}

async function onMember<T>(options: PersistorOptions, member: ClusterMember, work: (open: OpenClusterMember) => Promise<T>): Promise<T> {
  const { config } = resolveClusterConfig(options);
  const open = await openClusterMember(config, member, 1);
  try {
    return await work(open);
  } catch (error) {
    throw errorAt(member, error);
  } finally {
    await open.db.close().catch(() => undefined);
  }
}

async function planCluster(options: PersistorOptions, onEvent: MigrateClusterOptions['onEvent']): Promise<ClusterDryRunReport> {
  const { config, cluster } = resolveClusterConfig(options);
  const migrationsDir = config.migrationsDir ?? shippedMigrationsDir;
  const members = clusterMembers(cluster);
  const count = cluster.partitions.length;

  const plans: (Omit<PartitionPlan, 'generated'> & { digest: string | undefined })[] = [];
  for (const member of members.partitions) {
    const index = member.index!;
    plans.push(
      await onMember(options, member, async ({ db }) => {
        const identity = await readIdentity(db);
        if (identity && (identity.index !== index || identity.count !== count))
          throw new PersistorError(
            'VALIDATION_FAILED',
            `this database is partition ${identity.index} of ${identity.count}, not partition ${index} of ${count}: ` +
              'the deployment would be refused (list the partition URLs in the order they were first deployed)',
          );
        const migrator = new Migrator({
          db,
          migrationsDir,
          lockTimeoutMs: config.lockTimeoutMs,
          onEvent: (event) => onEvent?.({ type: 'partition-migration', index, target: member.target, event }),
        });
        const result = await migrator.migrate({ dryRun: true });
        return {
          index,
          target: member.target,
          identity: identity ? ('confirmed' as const) : ('claim' as const),
          wouldApply: result.applied,
          upToDate: result.applied.length === 0,
          digest: await readGeneratedDigest(db, 'partition'),
        };
      }),
    );
  }

  // What the generated parts would be can be computed only from a partition 0 that is already migrated.
  const expected = plans[0]!.upToDate
    ? await onMember(options, members.partitions[0]!, ({ db }) => expectedDigests(db, cluster))
    : undefined;
  const proxy = await onMember(options, members.proxy, async ({ db }) => ({
    state: await inspectProxy(db, cluster),
    digest: await readGeneratedDigest(db, 'proxy'),
  }));
  const proxyGenerated = expected && proxy.digest === expected.proxy ? 'unchanged' : 'would apply';
  const action =
    proxyGenerated === 'unchanged'
      ? `nothing: PL/Proxy ${proxy.state.plproxy} installed, the ${proxy.state.routines.expected} routines and the ${count} partition definitions are what this deployment generates`
      : [
          proxy.state.plproxy === null ? 'create extension plproxy (needs a superuser)' : undefined,
          `(re)generate the cluster definition (${count} partition(s)), its user mapping and the ${proxy.state.routines.expected} routed routines`,
          proxy.state.plproxy !== null && !proxy.state.definitionsMatch && proxy.state.partitionCount !== null
            ? 'the partition definitions differ from the configuration now'
            : undefined,
        ]
          .filter(Boolean)
          .join('; ');
  const partitions: PartitionPlan[] = plans.map(({ digest, ...plan }) => ({
    ...plan,
    generated: expected && digest === expected.partition ? 'unchanged' : 'would apply',
  }));
  const migrationsPending = partitions.reduce((sum, p) => sum + p.wouldApply.length, 0);
  return {
    cluster: true,
    dryRun: true,
    partitions,
    proxy: { target: members.proxy.target, plproxy: proxy.state.plproxy !== null, generated: proxyGenerated, action },
    migrationsPending,
    upToDate:
      proxyGenerated === 'unchanged' && partitions.every((p) => p.upToDate && p.identity === 'confirmed' && p.generated === 'unchanged'),
  };
}
