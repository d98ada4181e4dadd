/**
 * `verify` on a PL/Proxy cluster (docs/SCALE-OUT.md): the single-database
 * checklist (verify.ts) on every partition, and what only a cluster has.
 *
 * Per partition:
 * - the five success criteria of {@link verifyDatabase}, its drift check
 *   accepting exactly the partition's identifier defaults (drift.ts
 *   `partition`), every other difference still drift. The core-functionality
 *   journey runs on the partition itself, in a transaction that is rolled
 *   back: through the proxy each call commits on its partition as it answers
 *   (PL/Proxy has no cross-partition transaction), so nothing run there
 *   could be rolled back;
 * - its identity (ecliptix_partition.identity) is its position in the
 *   configuration, of as many partitions as configured;
 * - the proxy's cluster definition sends partition p's calls to this
 *   database's connection string (the order the deployment wrote; skipped
 *   when the proxy cannot be reached, which fails the proxy);
 * - a read-only call through the proxy routed to p answers
 *   (`get_phone_number` of an identifier that carries p: the proxy reaches it).
 *
 * The proxy: PL/Proxy installed, the server `ecliptix` on its wrapper with one
 * entry per configured partition and the user mapping for PUBLIC, and the
 * manifest's routines present with the argument lists and result columns
 * the first partition that can be read has (partition 0's, from which they
 * were generated, unless it cannot be reached).
 *
 * Nothing is left behind: every check that writes is rolled back, and the
 * calls through the proxy only read.
 */
import { randomUUID } from 'node:crypto';
import type { ClusterConfig } from '../config/cluster.js';
import { partitionConnectionString } from '../cluster/generate.js';
import type { Database, Queryable } from '../db/database.js';
import { messageOf } from '../errors.js';
import { APPLICATION_ROUTINES } from '../schema/manifest.js';
import { sqlFile } from '../sql-files.js';
import { readIdentity } from '../cluster/identity.js';
import { verifyDatabase, type VerifyOptions, type VerifyReport } from './verify.js';

/** One database of the cluster, open, and how messages name it (`partition 1 (postgres://…:****@…)`, `proxy (…)`). */
export interface ClusterDatabase {
  name: string;
  db: Database;
}

/** A database of the cluster that could not be opened, and why. */
export interface UnreachableDatabase {
  name: string;
  unreachable: string;
}

/** The cluster's databases, open (or unreachable): the partitions in partition order, and the proxy. */
export interface OpenCluster {
  partitions: readonly (ClusterDatabase | UnreachableDatabase)[];
  proxy: ClusterDatabase | UnreachableDatabase;
}

const isOpen = (member: ClusterDatabase | UnreachableDatabase): member is ClusterDatabase => 'db' in member;

/** A check only a cluster has, passed or failed with the reasons. */
export interface ClusterCheck {
  name: string;
  passed: boolean;
  /** Not run (counted as passed): what it needs failed on its own account, e.g. the proxy cannot be reached. */
  skipped?: boolean;
  /** Why it failed (or notes when it passed). */
  details: string[];
}

/** One partition: the single-database checklist and its cluster checks. */
export interface PartitionVerification {
  index: number;
  /** `partition 1 (postgres://…:****@…)`. */
  name: string;
  passed: boolean;
  /** identity, its entry in the proxy's cluster definition, reached through the proxy. */
  checks: ClusterCheck[];
  /** The five success criteria on this partition (undefined when the checklist could not run: see `error`). */
  report?: VerifyReport;
  error?: string;
}

/** The proxy's checks. */
export interface ProxyVerification {
  name: string;
  passed: boolean;
  /** plproxy, the cluster definition, the routines. */
  checks: ClusterCheck[];
}

/** What {@link verifyCluster} found, per partition and for the proxy. */
export interface ClusterVerifyReport {
  passed: boolean;
  partitions: PartitionVerification[];
  proxy: ProxyVerification;
  /** The databases that failed, by name: `partition 1 (…)`, `proxy (…)`. */
  failed: string[];
  /** How the checks ran (the core checks on each partition, not through the proxy). */
  notes: string[];
}

/** The PL/Proxy cluster (SQL/MED server) the generated routines use (src/cluster/generate.ts). */
const SERVER = 'ecliptix';

/** How to put back a generated part edited by hand: a deployment rewrites it only when its digest changed. */
const REWRITE = 'on the proxy DELETE FROM ecliptix_route.generated, then deploy the cluster again to rewrite it';

/** The core-functionality journey's place on a cluster, said in every report. */
export const CLUSTER_CORE_CHECKS_NOTE =
  'core functionality (criterion 3) ran on each partition directly, in a transaction rolled back: through the proxy every call ' +
  'commits on its partition as it answers (PL/Proxy has no cross-partition transaction), so it cannot be rolled back there';

const check = (name: string, details: string[], passedNotes: string[] = []): ClusterCheck => ({
  name,
  passed: details.length === 0,
  details: details.length === 0 ? passedNotes : details,
});

interface RoutineRow {
  name: string;
  arguments: string;
  result: string;
}

async function readRoutineRows(db: Queryable): Promise<Map<string, RoutineRow[]>> {
  const { rows } = await db.query<RoutineRow>(sqlFile('cluster/read-routines.sql'), [APPLICATION_ROUTINES]);
  const byName = new Map<string, RoutineRow[]>();
  for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
  return byName;
}

async function identityCheck(db: Queryable, index: number, count: number): Promise<ClusterCheck> {
  try {
    const identity = await readIdentity(db);
    if (identity === undefined) return check('identity', ['it has no ecliptix_partition.identity: it was never deployed as a partition']);
    if (identity.index !== index || identity.count !== count)
      return check('identity', [
        `this database is partition ${identity.index} of ${identity.count}, but the configuration lists it as partition ${index} of ${count} ` +
          '(list the partition URLs in the order they were first deployed)',
      ]);
    return check('identity', [], [`partition ${index} of ${count} (ecliptix_partition.identity)`]);
  } catch (error) {
    return check('identity', [`cannot read ecliptix_partition.identity: ${messageOf(error)}`]);
  }
}

interface ProxyDefinition {
  plproxy_version: string | null;
  server_exists: boolean;
  wrapper: string | null;
  options: string[];
  public_mapping: boolean;
}

/** `key=value` options of a foreign server, in the order they are stored. */
function serverOptions(options: readonly string[]): [string, string][] {
  return options.map((option) => {
    const at = option.indexOf('=');
    return at < 0 ? [option, ''] : [option.slice(0, at), option.slice(at + 1)];
  });
}

/** A uuid the partitions' identifier layout places on partition `index` (its first 16 bits). */
function identifierOn(index: number): string {
  return `${index.toString(16).padStart(4, '0')}${randomUUID().slice(4)}`;
}

/**
 * Verifies a cluster: every partition's checklist and cluster checks, then the
 * proxy's. It does not throw when a check fails: see `report.passed` and
 * `report.failed` (the databases that failed, by name). A database that could
 * not be opened fails its `connection` check and the others are verified.
 *
 * @example
 * ```ts
 * const report = await verifyCluster({ partitions, proxy }, cluster, { migrationsDir: shippedMigrationsDir, lockTimeoutMs: 10_000 });
 * if (!report.passed) console.error(`failed: ${report.failed.join(', ')}`);
 * ```
 */
export async function verifyCluster(open: OpenCluster, cluster: ClusterConfig, options: VerifyOptions): Promise<ClusterVerifyReport> {
  const count = cluster.partitions.length;
  const expected = cluster.partitions.map((url) => partitionConnectionString(url, cluster.partitionConnectTimeoutSeconds));

  // The proxy's definition, read once: every partition's entry is checked against it.
  const proxyDb = isOpen(open.proxy) ? open.proxy.db : undefined;
  let definition: ProxyDefinition | undefined;
  let definitionError: string | undefined;
  if (!isOpen(open.proxy)) definitionError = `cannot connect to the proxy: ${open.proxy.unreachable}`;
  else
    try {
      definition = (await open.proxy.db.query<ProxyDefinition>(sqlFile('operations/cluster/proxy-definition.sql'))).rows[0]!;
    } catch (error) {
      definitionError = `cannot read the proxy's cluster definition: ${messageOf(error)}`;
    }
  const entries = new Map(serverOptions(definition?.options ?? []));

  const partitions: PartitionVerification[] = [];
  for (const [index, partition] of open.partitions.entries()) {
    if (!isOpen(partition)) {
      partitions.push({ index, name: partition.name, passed: false, checks: [check('connection', [partition.unreachable])] });
      continue;
    }
    const checks: ClusterCheck[] = [await identityCheck(partition.db, index, count)];

    const key = `p${index}`;
    const entry = entries.get(key);
    const routeProblems: string[] = [];
    if (definitionError) routeProblems.push(definitionError);
    else if (!definition?.server_exists) routeProblems.push(`the proxy has no server ${SERVER}: it routes no call to this partition`);
    else if (entry === undefined) routeProblems.push(`the proxy's server ${SERVER} has no ${key}: it routes no call to this partition`);
    else if (entry !== expected[index]) {
      const other = expected.indexOf(entry);
      routeProblems.push(
        `the proxy's server ${SERVER} sends partition ${index}'s calls to ${entry}` +
          (other >= 0 ? `, which is partition ${other}'s database in the configuration` : '') +
          `; expected ${expected[index]} (${REWRITE})`,
      );
    }
    if (!proxyDb) {
      // The proxy's own report fails; this partition is not blamed for it.
      for (const name of ['proxy route', 'reached through the proxy'])
        checks.push({ name, passed: true, skipped: true, details: ['not checked: the proxy cannot be reached'] });
    } else checks.push(check('proxy route', routeProblems, [`the proxy's ${key} is this database (${entry ?? ''})`]));

    if (proxyDb)
      try {
        await proxyDb.query('SELECT count(*) FROM ecliptix.get_phone_number($1::uuid)', [identifierOn(index)]);
        checks.push(check('reached through the proxy', [], [`a read-only call routed to partition ${index} (get_phone_number) answered`]));
      } catch (error) {
        checks.push(check('reached through the proxy', [`a read-only call routed to partition ${index} failed: ${messageOf(error)}`]));
      }

    let report: VerifyReport | undefined;
    let failure: string | undefined;
    try {
      report = await verifyDatabase(partition.db, { ...options, partition: true });
    } catch (error) {
      failure = `the checklist could not run: ${messageOf(error)}`;
    }
    partitions.push({
      index,
      name: partition.name,
      passed: failure === undefined && report!.passed && checks.every((c) => c.passed),
      checks,
      ...(report ? { report } : {}),
      ...(failure ? { error: failure } : {}),
    });
  }

  const proxyChecks: ClusterCheck[] = [];
  if (!isOpen(open.proxy)) proxyChecks.push(check('connection', [definitionError!]));
  else if (definitionError) proxyChecks.push(check('plproxy', [definitionError]));
  else {
    proxyChecks.push(
      check(
        'plproxy',
        definition!.plproxy_version ? [] : ['the proxy database has no plproxy extension (deploy the cluster: CREATE EXTENSION plproxy)'],
        [`plproxy ${definition!.plproxy_version ?? ''}`],
      ),
    );
    const problems: string[] = [];
    if (!definition!.server_exists) problems.push(`no server ${SERVER} (the cluster definition the routines use): deploy the cluster`);
    else {
      if (definition!.wrapper !== 'plproxy')
        problems.push(`server ${SERVER} uses the foreign-data wrapper ${definition!.wrapper}, not plproxy`);
      const listed = [...entries.keys()].filter((k) => /^p\d+$/.test(k));
      const inOrder = Array.from({ length: count }, (_, i) => `p${i}`);
      if (listed.join(',') !== inOrder.join(','))
        problems.push(`server ${SERVER} lists the partitions ${listed.join(', ') || 'none'}; the configuration has ${inOrder.join(', ')}`);
      const misrouted = expected.flatMap((url, i) => (entries.get(`p${i}`) === url ? [] : [i]));
      if (misrouted.length > 0)
        problems.push(
          `server ${SERVER} does not route partition(s) ${misrouted.join(', ')} to the configured database (see each partition)`,
        );
      if (!definition!.public_mapping) problems.push(`server ${SERVER} has no user mapping for PUBLIC: the routines cannot log in`);
    }
    proxyChecks.push(
      check('cluster definition', problems, [
        `server ${SERVER} (plproxy) lists the ${count} configured partitions in order; user mapping for PUBLIC`,
      ]),
    );
  }

  // The proxy's routines against the first partition that can be read (partition 0's catalog is what they were generated from).
  const referenceIndex = open.partitions.findIndex(isOpen);
  const reference = open.partitions[referenceIndex];
  if (proxyDb && reference && isOpen(reference)) {
    const where = `partition ${referenceIndex}`;
    try {
      const [want, have] = await Promise.all([readRoutineRows(reference.db), readRoutineRows(proxyDb)]);
      const problems: string[] = [];
      for (const name of APPLICATION_ROUTINES) {
        const wanted = want.get(name);
        const had = have.get(name);
        if (!wanted) problems.push(`ecliptix.${name} is missing on ${where}, so the proxy's cannot be compared`);
        else if (!had) problems.push(`ecliptix.${name} is missing on the proxy`);
        else {
          const describe = (rows: RoutineRow[]) => rows.map((r) => `(${r.arguments}) → ${r.result}`).join('; ');
          if (describe(wanted) !== describe(had))
            problems.push(`ecliptix.${name} on the proxy is ${describe(had)}; on ${where} it is ${describe(wanted)} (${REWRITE})`);
        }
      }
      proxyChecks.push(
        check('routines', problems, [`the ${APPLICATION_ROUTINES.length} routines, with ${where}'s argument lists and result columns`]),
      );
    } catch (error) {
      proxyChecks.push(check('routines', [`cannot compare the routines: ${messageOf(error)}`]));
    }
  } else if (proxyDb) proxyChecks.push(check('routines', ['no partition can be reached to compare the routines with']));

  const proxy: ProxyVerification = { name: open.proxy.name, passed: proxyChecks.every((c) => c.passed), checks: proxyChecks };
  const failed = [...partitions.filter((p) => !p.passed).map((p) => p.name), ...(proxy.passed ? [] : [proxy.name])];
  return { passed: failed.length === 0, partitions, proxy, failed, notes: [CLUSTER_CORE_CHECKS_NOTE] };
}
