/**
 * `status` on a cluster (the config file's `cluster` key): every partition's
 * status as on one database (migrations, the 36 objects, row counts — a
 * large table's estimated, as there), the totals (marked estimated when they
 * include an estimate), and the proxy's state (PL/Proxy, the 17 routed routines, its
 * partition definitions against the configuration). A database that cannot
 * be reached is reported by name while the others are still reported.
 */
import { isPersistorError, type ErrorCode } from '../errors.js';
import type { CountOptions, TableCount } from '../operations/data-summary.js';
import { OBJECT_COUNT, TABLE_NAMES } from '../schema/manifest.js';
import { shippedMigrationsDir } from '../sql-files.js';
import { inspectProxy, readIdentity, type PartitionIdentity, type ProxyState } from './cluster-inspect.js';
import { clusterMembers, errorAt, openClusterMember, resolveClusterConfig, type ClusterMember } from './cluster-runtime.js';
import type { PersistorOptions } from './runtime.js';
import { countOptions, statusOf, type StatusReport } from './status.js';

/** A database of the cluster that could not be reached or read. */
export interface MemberFailure {
  reachable: false;
  /** The stable code of what went wrong (CONNECTION_FAILED when it could not be reached). */
  code: ErrorCode;
  /** The error, naming the database (`partition 1 (postgres://…:****@…): …`). */
  error: string;
}

/** One partition: its status as on one database, and its identity. */
export type PartitionStatus = { index: number; target: string } & (
  | ({
      reachable: true;
      /** The index and count the database was deployed as (null: not deployed as a partition). */
      identity: PartitionIdentity | null;
      /** Its identity is this index of this many partitions. */
      identityMatches: boolean;
    } & StatusReport)
  | MemberFailure
);

/** What {@link clusterStatus} found. */
export interface ClusterStatusReport {
  cluster: true;
  /** In partition order. */
  partitions: PartitionStatus[];
  proxy: (ProxyState & { reachable: true }) | (MemberFailure & { target: string });
  total: {
    partitions: number;
    reachable: number;
    /** Partitions up to date (migrations, and the identity of their index). */
    upToDate: number;
    /** Partitions whose 36 objects are all present. */
    objectsPresent: number;
    /**
     * Rows per table summed over the reachable partitions: `estimated` when a
     * partition's count of it is an estimate; `softDeleted` null when one
     * partition's is unknown.
     */
    rows: TableCount[];
    /** Rows over all tables and reachable partitions. */
    totalRows: number;
    /** `totalRows` includes an estimate (some table of some partition was estimated, not counted). */
    estimated: boolean;
  };
  /** Every database could be read, every partition is up to date with its identity, and the proxy is ready. */
  upToDate: boolean;
  /** The databases that could not be reached or read, by name. */
  unreachable: string[];
}

/** Options of {@link clusterStatus}. */
export interface ClusterStatusOptions extends PersistorOptions, CountOptions {
  /** Also look for drift on every partition (see `status --drift`). */
  drift?: boolean;
}

function failure(member: ClusterMember, error: unknown): MemberFailure {
  const named = errorAt(member, error);
  return { reachable: false, code: isPersistorError(error) ? error.code : 'OPERATION_FAILED', error: named.message };
}

/**
 * Reports every partition and the proxy of the configured cluster, and the
 * totals. A database that cannot be reached does not stop the report: it is
 * listed in `unreachable` (and the CLI exits 3).
 *
 * @example
 * ```ts
 * const report = await clusterStatus({ cluster })
 * console.log(`${report.total.upToDate}/${report.total.partitions} partitions up to date, ${report.total.totalRows} rows`)
 * ```
 */
export async function clusterStatus(options: ClusterStatusOptions = {}): Promise<ClusterStatusReport> {
  const { drift, exact, exactCountThreshold, ...rest } = options;
  const counting = countOptions({ exact, exactCountThreshold });
  const { config, cluster } = resolveClusterConfig(rest);
  const members = clusterMembers(cluster);
  const count = cluster.partitions.length;
  const migrationsDir = config.migrationsDir ?? shippedMigrationsDir;

  const partitions = await Promise.all(
    members.partitions.map(async (member): Promise<PartitionStatus> => {
      const index = member.index!;
      try {
        const { db } = await openClusterMember(config, member, 1);
        try {
          const identity = (await readIdentity(db)) ?? null;
          const report = await statusOf(db, {
            lockTimeoutMs: config.lockTimeoutMs,
            migrationsDir,
            shipped: config.migrationsDir === undefined,
            drift: drift === true,
            partition: true,
            counting,
          });
          const identityMatches = identity !== null && identity.index === index && identity.count === count;
          const problems =
            identity !== null && !identityMatches
              ? [
                  ...report.problems,
                  `this database is partition ${identity.index} of ${identity.count}, not partition ${index} of ${count} as configured`,
                ]
              : report.problems;
          return {
            index,
            ...report,
            target: member.target,
            reachable: true,
            identity,
            identityMatches,
            problems,
            upToDate: report.upToDate && identityMatches,
          };
        } finally {
          await db.close().catch(() => undefined);
        }
      } catch (error) {
        return { index, target: member.target, ...failure(member, error) };
      }
    }),
  );

  let proxy: ClusterStatusReport['proxy'];
  try {
    const { db } = await openClusterMember(config, members.proxy, 1);
    try {
      proxy = { reachable: true, ...(await inspectProxy(db, cluster)) };
    } finally {
      await db.close().catch(() => undefined);
    }
  } catch (error) {
    proxy = { target: members.proxy.target, ...failure(members.proxy, error) };
  }

  const reachable = partitions.filter((p) => p.reachable);
  const rows = TABLE_NAMES.map((table): TableCount => {
    const counts = reachable.map((p) => p.data?.tables.find((t) => t.table === table)).filter((t) => t !== undefined);
    const unknown = counts.some((t) => t.softDeleted === null);
    return {
      table,
      rows: counts.reduce((sum, t) => sum + t.rows, 0),
      estimated: counts.some((t) => t.estimated),
      softDeleted: unknown ? null : counts.reduce((sum, t) => sum + (t.softDeleted ?? 0), 0),
      softDeletedEstimated: counts.some((t) => t.softDeletedEstimated),
    };
  });
  const unreachable = [
    ...partitions.filter((p) => !p.reachable).map((p) => members.partitions[p.index]!.name),
    ...(proxy.reachable ? [] : [members.proxy.name]),
  ];
  const upToDateCount = reachable.filter((p) => p.upToDate).length;
  return {
    cluster: true,
    partitions,
    proxy,
    total: {
      partitions: count,
      reachable: reachable.length,
      upToDate: upToDateCount,
      objectsPresent: reachable.filter((p) => p.schema?.objects.filter((o) => o.present).length === OBJECT_COUNT).length,
      rows,
      totalRows: rows.reduce((sum, t) => sum + t.rows, 0),
      estimated: rows.some((t) => t.estimated),
    },
    upToDate: unreachable.length === 0 && upToDateCount === count && proxy.reachable && proxy.ready,
    unreachable,
  };
}
