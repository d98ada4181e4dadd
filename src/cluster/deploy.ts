/**
 * Deploys a cluster (docs/SCALE-OUT.md): every partition in order — its
 * identity, the shipped migrations through the Migrator, the partition
 * support (sql/cluster/partition) — then the routines generated from
 * partition 0's catalog on every partition and on the proxy
 * (sql/cluster/proxy and generate.ts).
 *
 * Each step is idempotent and runs under the migrator's run lock of its
 * database, each database's changes in their own transactions: a deployment
 * that failed part-way is finished by running it again, and one that would
 * change nothing changes nothing. Errors name the partition (index and URL,
 * password masked).
 */
import { readdirSync } from 'node:fs';
import type { Connection, Database } from '../db/database.js';
import { openPostgres } from '../db/postgres.js';
import { PersistorError, isPersistorError, messageOf } from '../errors.js';
import { Migrator } from '../migrator/migrator.js';
import { withRunLock } from '../migrator/run-lock.js';
import { shippedMigrationsDir, sqlFile } from '../sql-files.js';
import { maskDatabaseUrl } from '../util/redact.js';
import { readCatalog } from './catalog.js';
import { parseClusterConfig, type ClusterConfig, type ClusterConfigInput } from '../config/cluster.js';
import { digestOf, partitionSql, proxySql, routeAll, type RoutedRoutine } from './generate.js';
import { generatedSql, type GeneratedPart } from './generated-record.js';
import type { Route } from './routing.js';

export interface DeployClusterOptions {
  /** Default: the shipped EcliptixMemberships schema. */
  migrationsDir?: string;
  connectTimeoutMs?: number;
  /** How long to wait for another run's lock on each database. */
  lockTimeoutMs?: number;
  onEvent?: (event: ClusterEvent) => void;
}

export type ClusterEvent =
  | { type: 'partition-start'; index: number; target: string }
  | { type: 'partition-done'; index: number; target: string; migrationsApplied: number }
  | { type: 'proxy-done'; target: string; generated: GeneratedState };

/** Whether a database's generated part was (re)written, or already what this deployment generates. */
export type GeneratedState = 'applied' | 'unchanged';

export interface PartitionDeployment {
  index: number;
  /** The partition's URL, password masked. */
  target: string;
  /** `claimed`: this deployment gave the database its index; `confirmed`: it had that index already. */
  identity: 'claimed' | 'confirmed';
  migrationsApplied: number;
  generated: GeneratedState;
}

export interface ClusterDeployment {
  partitions: PartitionDeployment[];
  proxy: { target: string; generated: GeneratedState };
  /** Each routine of the proxy and how it is routed. */
  routines: { name: string; route: Route }[];
}

const PARTITION_FILES = 'cluster/partition';
const PROXY_FILES = 'cluster/proxy';

function scriptsIn(folder: string): string[] {
  const dir = new URL(`../../sql/${folder}/`, import.meta.url);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => sqlFile(`${folder}/${name}`));
}

/** An error of one database, its message prefixed with where (the partition's index and masked URL, or the proxy). */
function failureAt(where: string, error: unknown): PersistorError {
  if (isPersistorError(error))
    return new PersistorError(error.code, `${where}: ${error.message}`, { details: error.details, cause: error });
  const state = (error as { code?: unknown }).code;
  const code = state === '55000' ? 'VALIDATION_FAILED' : state === undefined ? 'OPERATION_FAILED' : 'MIGRATION_FAILED';
  return new PersistorError(code, `${where}: ${messageOf(error)}`, { cause: error });
}

const partitionName = (index: number, url: string) => `partition ${index} (${maskDatabaseUrl(url)})`;

async function onDatabase<T>(
  url: string,
  where: string,
  options: Required<Omit<DeployClusterOptions, 'onEvent'>>,
  work: (db: Database) => Promise<T>,
): Promise<T> {
  let db: Database | undefined;
  try {
    db = await openPostgres({
      databaseUrl: url,
      connectTimeoutMs: options.connectTimeoutMs,
      maxConnections: 1,
      applicationName: 'ecliptix-persistor cluster',
    });
    return await work(db);
  } catch (error) {
    throw failureAt(where, error);
  } finally {
    await db?.close().catch(() => undefined);
  }
}

/** Runs `work` in one transaction under the migrator's run lock of this database. */
function lockedTransaction<T>(db: Database, lockTimeoutMs: number, work: (tx: Connection) => Promise<T>): Promise<T> {
  return db.withSession((session) => withRunLock(session, lockTimeoutMs, () => session.transaction(work)));
}

/** Replaces a generated part unless the digest it recorded is that of `script` already. */
async function applyGenerated(tx: Connection, part: GeneratedPart, script: string): Promise<GeneratedState> {
  const digest = digestOf(script);
  const { rows } = await tx.query<{ digest: string }>(generatedSql(part, 'lock'));
  if (rows[0]?.digest === digest) return 'unchanged';
  await tx.exec(script);
  await tx.query(generatedSql(part, 'record'), [digest]);
  return 'applied';
}

/**
 * Deploys or completes a cluster; run it again after a failure to finish.
 *
 * @example
 * const result = await deployCluster({ proxy: 'postgres://db0/proxy', partitions: ['postgres://db0/p0', 'postgres://db1/p1'] });
 * console.log(result.partitions.map((p) => `${p.target}: ${p.migrationsApplied} migration(s)`));
 */
export async function deployCluster(
  config: ClusterConfig | ClusterConfigInput,
  options: DeployClusterOptions = {},
): Promise<ClusterDeployment> {
  const cluster = parseClusterConfig(config);
  const settings = {
    migrationsDir: options.migrationsDir ?? shippedMigrationsDir,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    lockTimeoutMs: options.lockTimeoutMs ?? 60_000,
  };
  const [identityScript, ...supportScripts] = scriptsIn(PARTITION_FILES);
  const partitionCount = cluster.partitions.length;

  // Every partition's identity first: URLs listed in another order than before are refused before anything else changes.
  const identities: ('claimed' | 'confirmed')[] = [];
  for (const [index, url] of cluster.partitions.entries()) {
    identities.push(
      await onDatabase(url, partitionName(index, url), settings, (db) =>
        lockedTransaction(db, settings.lockTimeoutMs, async (tx) => {
          await tx.exec(identityScript!);
          const { rows } = await tx.query<{ state: 'claimed' | 'confirmed' }>('SELECT ecliptix_partition.claim_identity($1, $2) AS state', [
            index,
            partitionCount,
          ]);
          return rows[0]!.state;
        }),
      ),
    );
  }

  const migrated: number[] = [];
  for (const [index, url] of cluster.partitions.entries()) {
    const target = maskDatabaseUrl(url);
    options.onEvent?.({ type: 'partition-start', index, target });
    migrated.push(
      await onDatabase(url, partitionName(index, url), settings, async (db) => {
        const result = await new Migrator({ db, migrationsDir: settings.migrationsDir, lockTimeoutMs: settings.lockTimeoutMs }).migrate();
        await lockedTransaction(db, settings.lockTimeoutMs, async (tx) => {
          for (const script of supportScripts) await tx.exec(script);
        });
        return result.applied.length;
      }),
    );
    options.onEvent?.({ type: 'partition-done', index, target, migrationsApplied: migrated[index]! });
  }

  const catalog = await onDatabase(cluster.partitions[0]!, partitionName(0, cluster.partitions[0]!), settings, readCatalog);
  const { roles } = catalog;
  const routines = routeAll(catalog.routines);

  const partitionScript = partitionSql(routines, roles, catalog.deviceColumns);
  const generated: GeneratedState[] = [];
  for (const [index, url] of cluster.partitions.entries()) {
    generated.push(
      await onDatabase(url, partitionName(index, url), settings, (db) =>
        lockedTransaction(db, settings.lockTimeoutMs, (tx) => applyGenerated(tx, 'partition', partitionScript)),
      ),
    );
  }

  const proxyTarget = maskDatabaseUrl(cluster.proxy);
  const proxyGenerated = await deployProxy(cluster, routines, roles?.app, settings);
  options.onEvent?.({ type: 'proxy-done', target: proxyTarget, generated: proxyGenerated });

  return {
    partitions: cluster.partitions.map((url, index) => ({
      index,
      target: maskDatabaseUrl(url),
      identity: identities[index]!,
      migrationsApplied: migrated[index]!,
      generated: generated[index]!,
    })),
    proxy: { target: proxyTarget, generated: proxyGenerated },
    routines: routines.map((routine) => ({ name: routine.name, route: routine.route })),
  };
}

async function deployProxy(
  cluster: ClusterConfig,
  routines: readonly RoutedRoutine[],
  appRole: string | undefined,
  settings: Required<Omit<DeployClusterOptions, 'onEvent'>>,
): Promise<GeneratedState> {
  let script: string;
  try {
    script = proxySql(routines, cluster, appRole);
  } catch (error) {
    throw new PersistorError('INVALID_CONFIG', `cluster: ${messageOf(error)}`);
  }
  return onDatabase(cluster.proxy, `proxy (${maskDatabaseUrl(cluster.proxy)})`, settings, (db) =>
    lockedTransaction(db, settings.lockTimeoutMs, async (tx) => {
      for (const file of scriptsIn(PROXY_FILES)) await tx.exec(file);
      if (appRole) {
        // The role exists on the partitions' server; the proxy may be on another.
        await tx.query(
          `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${`'${appRole.replace(/'/g, "''")}'`}) THEN
             EXECUTE format('CREATE ROLE %I NOLOGIN', ${`'${appRole.replace(/'/g, "''")}'`}); END IF; END $$`,
        );
      }
      return applyGenerated(tx, 'proxy', script);
    }),
  );
}
