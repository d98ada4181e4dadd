/**
 * Read-only looks at a cluster's databases, for `migrate --dry-run` and
 * `status` on a cluster: a partition's identity, what a generated part was
 * deployed from, and the proxy's state (PL/Proxy, the routed routines, the
 * partition definitions against the configuration).
 */
import type { ClusterConfig } from '../config/cluster.js';
import { readCatalog } from '../cluster/catalog.js';
import { digestOf, partitionConnectionString, partitionSql, proxySql, routeAll } from '../cluster/generate.js';
import { GENERATED_TABLE, generatedSql, type GeneratedPart } from '../cluster/generated-record.js';
import type { Queryable } from '../db/database.js';
import { APPLICATION_ROUTINES } from '../schema/manifest.js';
import { maskDatabaseUrl } from '../util/redact.js';

export { readIdentity, type PartitionIdentity } from '../cluster/identity.js';

/** The digest recorded by the last deployment of a generated part, or undefined when none was deployed. */
export async function readGeneratedDigest(db: Queryable, part: GeneratedPart): Promise<string | undefined> {
  const exists = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [GENERATED_TABLE[part]]);
  if (!exists.rows[0]?.present) return undefined;
  const { rows } = await db.query<{ digest: string }>(generatedSql(part, 'read'));
  return rows[0]?.digest;
}

/** The digests a deployment would record now, computed from a migrated partition 0 (as deployCluster does). */
export async function expectedDigests(partition0: Queryable, cluster: ClusterConfig): Promise<{ partition: string; proxy: string }> {
  const catalog = await readCatalog(partition0);
  const routines = routeAll(catalog.routines);
  return {
    partition: digestOf(partitionSql(routines, catalog.roles, catalog.deviceColumns)),
    proxy: digestOf(proxySql(routines, cluster, catalog.roles?.app)),
  };
}

/** One partition as the proxy defines it (`CREATE SERVER ecliptix … OPTIONS (p0 '…', …)`) against the configuration. */
export interface PartitionDefinition {
  index: number;
  /** The connection string the configuration gives (host, port, dbname, … — no login). */
  expected: string;
  /** What the proxy has, or null when it defines no such partition. */
  actual: string | null;
  matches: boolean;
}

/** The proxy's state: PL/Proxy, the routed routines, the cluster definition. */
export interface ProxyState {
  /** The proxy's URL, password masked. */
  target: string;
  /** `CREATE EXTENSION plproxy` was run (its version), or null. */
  plproxy: string | null;
  /** The manifest's routines in the proxy's schema ecliptix. */
  routines: { expected: number; present: number; missing: string[] };
  /** How many partitions the proxy's cluster definition has (null: no server `ecliptix`). */
  partitionCount: number | null;
  partitions: PartitionDefinition[];
  /** The cluster definition has exactly the configured partitions, each with the configured connection string. */
  definitionsMatch: boolean;
  /** PL/Proxy present, every routine present, the definitions matching. */
  ready: boolean;
}

/** Reads the proxy's state and compares its cluster definition with the configuration. */
export async function inspectProxy(db: Queryable, cluster: ClusterConfig): Promise<ProxyState> {
  const extension = await db.query<{ extversion: string }>(`SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'plproxy'`);
  const present = await db.query<{ proname: string }>(
    `SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'ecliptix' AND p.proname = ANY($1::text[])`,
    [APPLICATION_ROUTINES],
  );
  const names = new Set(present.rows.map((row) => row.proname));
  const server = await db.query<{ srvoptions: string[] | null }>(
    `SELECT srvoptions FROM pg_catalog.pg_foreign_server WHERE srvname = 'ecliptix'`,
  );
  const options = new Map<string, string>();
  for (const option of server.rows[0]?.srvoptions ?? []) {
    const at = option.indexOf('=');
    if (at > 0) options.set(option.slice(0, at), option.slice(at + 1));
  }
  const defined = [...options.keys()].filter((key) => /^p\d+$/.test(key)).length;
  const partitions = cluster.partitions.map((url, index) => {
    const expected = partitionConnectionString(url, cluster.partitionConnectTimeoutSeconds);
    const actual = options.get(`p${index}`) ?? null;
    return { index, expected, actual, matches: actual === expected };
  });
  const definitionsMatch = server.rows.length > 0 && defined === cluster.partitions.length && partitions.every((p) => p.matches);
  const plproxy = extension.rows[0]?.extversion ?? null;
  const missing = APPLICATION_ROUTINES.filter((name) => !names.has(name));
  return {
    target: maskDatabaseUrl(cluster.proxy),
    plproxy,
    routines: { expected: APPLICATION_ROUTINES.length, present: APPLICATION_ROUTINES.length - missing.length, missing },
    partitionCount: server.rows.length > 0 ? defined : null,
    partitions,
    definitionsMatch,
    ready: plproxy !== null && missing.length === 0 && definitionsMatch,
  };
}
