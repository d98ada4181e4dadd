/** `verify`: the seed's post-deployment checklist — its five success criteria, each passed or failed (exit 5 unless all pass). */
import { PersistorError } from '../errors.js';
import { verifyCluster, type ClusterVerifyReport } from '../operations/cluster-verify.js';
import { verifyDatabase, type VerifyReport } from '../operations/verify.js';
import { shippedMigrationsDir } from '../sql-files.js';
import { clusterMembers, resolveClusterConfig, withEachMember } from './cluster-runtime.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/** Options of {@link verify}: the database, and the role the application connects as. */
export interface VerifyCommandOptions extends PersistorOptions {
  /** The role the application connects as (privileges and basic operations are checked for it); default the application role set up by `roles`, else the connected user. */
  appRole?: string;
}

/** The checklist's outcome: each criterion passed or failed, with details, drift and the core checks. */
export type { VerifyReport };

/**
 * Runs the post-deployment checklist — the seed's five success criteria:
 * objects, their status and definitions, core functionality (rolled back),
 * the journal, application access — and returns the report. It does not
 * throw when a criterion fails: see `report.passed`.
 *
 * @example
 * ```ts
 * import { verify } from 'ecliptix-persistor'
 *
 * const report = await verify({ databaseUrl: process.env.DATABASE_URL, appRole: 'memberships_app' })
 * if (!report.passed) throw new Error(report.criteria.filter((c) => !c.passed).map((c) => c.title).join('; '))
 * ```
 */
export async function verify(options: VerifyCommandOptions = {}): Promise<VerifyReport & { target: string; engine: string }> {
  const { appRole, ...rest } = options;
  if (appRole !== undefined && appRole.trim() === '') throw new PersistorError('INVALID_ARGUMENT', '--app-role must name a role');
  return withRuntime(
    rest,
    async ({ db, config, migrationsDir }) => {
      const report = await verifyDatabase(db, { migrationsDir, lockTimeoutMs: config.lockTimeoutMs, ...(appRole ? { appRole } : {}) });
      return { target: db.target, engine: db.engine, ...report };
    },
    { mustExist: true },
  );
}

/** What {@link clusterVerify} found: each partition's checklist and cluster checks, the proxy's, and the databases that failed. */
export type { ClusterVerifyReport };

/**
 * Runs the checklist on every partition of the configured cluster (the config
 * file's `cluster` key) and checks the cluster itself: each partition's
 * identity, the proxy's route to it and a read-only call through the proxy;
 * PL/Proxy, the server definition and the routines on the proxy. The core
 * checks run on each partition directly, rolled back (never through the
 * proxy, where every call commits on its partition). It does not throw when a
 * check fails: see `report.passed` and `report.failed` (the databases that
 * failed, by name); a database that cannot be reached fails its `connection`
 * check, named, and the others are verified.
 *
 * @example
 * ```ts
 * import { clusterVerify } from 'ecliptix-persistor'
 *
 * const report = await clusterVerify({ cluster: { proxy: 'postgres://db0/proxy', partitions: ['postgres://db0/p0', 'postgres://db1/p1'] } })
 * if (!report.passed) throw new Error(`verification failed on ${report.failed.join(', ')}`)
 * ```
 */
export async function clusterVerify(options: VerifyCommandOptions = {}): Promise<ClusterVerifyReport> {
  const { appRole, ...rest } = options;
  if (appRole !== undefined && appRole.trim() === '') throw new PersistorError('INVALID_ARGUMENT', '--app-role must name a role');
  const { config, cluster } = resolveClusterConfig(rest);
  const members = clusterMembers(cluster);
  // Each database opened on its own: one that cannot be reached fails its own checks, and the others are still verified.
  return withEachMember(config, [...members.partitions, members.proxy], (opened) => {
    // The report names the database next to the reason: the reason alone, without the error's own prefix.
    const each = opened.map((m) =>
      'db' in m ? { name: m.name, db: m.db } : { name: m.name, unreachable: m.error.message.replace(`${m.name}: `, '') },
    );
    return verifyCluster({ partitions: each.slice(0, -1), proxy: each.at(-1)! }, cluster, {
      migrationsDir: config.migrationsDir ?? shippedMigrationsDir,
      lockTimeoutMs: config.lockTimeoutMs,
      ...(appRole ? { appRole } : {}),
    });
  });
}
