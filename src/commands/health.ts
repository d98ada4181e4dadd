/** `health`: the quarterly health check — every finding OK / WARN / CRIT with its number, threshold and what to do; on a cluster, per member. */
import { runHealth, type HealthOptions, type HealthReport } from '../operations/health.js';
import { resolveThresholds, worse, type HealthLevel } from '../operations/health-thresholds.js';
import { clusterMembers, resolveClusterConfig, withEachMember } from './cluster-runtime.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/** Options of {@link health}: the database, threshold overrides, and whether to keep this run's snapshot. */
export interface HealthCommandOptions extends PersistorOptions, HealthOptions {}

export type { HealthReport };
export type { HealthFinding, SizeChange, TableSize } from '../operations/health.js';
export type { HealthCheckName, HealthLevel, HealthThresholds, CheckThreshold } from '../operations/health-thresholds.js';
export { HEALTH_CHECKS, HEALTH_CHECK_NAMES, parseThresholdOverrides } from '../operations/health-thresholds.js';

/**
 * Runs every health check on the configured database and returns the
 * findings, the sizes and the change since the previous run; keeps a
 * snapshot of this run in persistor.health_snapshots when the role may.
 * Bad thresholds throw INVALID_ARGUMENT (exit 2) before anything is opened.
 *
 * @example
 * ```ts
 * import { health } from 'ecliptix-persistor'
 *
 * const report = await health({ databaseUrl: process.env.DATABASE_URL, thresholds: { 'dead-tuples': { warn: 30 } } })
 * for (const f of report.findings.filter((f) => f.level !== 'OK')) console.log(f.level, f.check, f.subject, f.action)
 * ```
 */
export async function health(options: HealthCommandOptions = {}): Promise<HealthReport> {
  const { thresholds, snapshot, keepSnapshots, ...rest } = options;
  resolveThresholds(thresholds); // bad thresholds fail before anything is opened
  const healthOptions: HealthOptions = {
    ...(thresholds ? { thresholds } : {}),
    ...(snapshot === undefined ? {} : { snapshot }),
    ...(keepSnapshots === undefined ? {} : { keepSnapshots }),
  };
  return withRuntime(rest, ({ db }) => runHealth(db, healthOptions), { mustExist: true });
}

/** One member of the cluster in {@link ClusterHealthReport}: its report, or why it could not be checked. */
export interface ClusterHealthMember {
  kind: 'partition' | 'proxy';
  index?: number;
  /** `partition 0 (postgres://…:****@…)` or `proxy (…)`. */
  name: string;
  report?: HealthReport;
  /** The member could not be reached or checked: a CRIT finding of the run. */
  error?: string;
}

/** What {@link clusterHealth} found: each partition's and the proxy's report, and the worst level of all. */
export interface ClusterHealthReport {
  members: ClusterHealthMember[];
  /** The worst level over every member; CRIT when one could not be reached. */
  worst: HealthLevel;
  /** The members that could not be reached or checked. */
  failed: string[];
}

/**
 * Runs the health checks on every partition and on the proxy of the
 * configured cluster (the config file's `cluster` key), each as {@link health}
 * does one database; a member that cannot be reached is CRIT, named in
 * `failed`, and the others are still checked.
 *
 * @example
 * ```ts
 * import { clusterHealth } from 'ecliptix-persistor'
 *
 * const report = await clusterHealth({ config: 'persistor.json' })
 * for (const m of report.members) console.log(m.name, m.report?.worst ?? `CRIT: ${m.error}`)
 * ```
 */
export async function clusterHealth(options: HealthCommandOptions = {}): Promise<ClusterHealthReport> {
  const { thresholds, snapshot, keepSnapshots, ...rest } = options;
  resolveThresholds(thresholds);
  const healthOptions: HealthOptions = {
    ...(thresholds ? { thresholds } : {}),
    ...(snapshot === undefined ? {} : { snapshot }),
    ...(keepSnapshots === undefined ? {} : { keepSnapshots }),
  };
  const { config, cluster } = resolveClusterConfig(rest);
  const { partitions, proxy } = clusterMembers(cluster);
  return withEachMember(config, [...partitions, proxy], async (opened) => {
    const members: ClusterHealthMember[] = [];
    for (const member of opened) {
      const base = { kind: member.kind, name: member.name, ...(member.index === undefined ? {} : { index: member.index }) };
      if ('error' in member) {
        members.push({ ...base, error: member.error.message });
        continue;
      }
      try {
        members.push({ ...base, report: await runHealth(member.db, { ...healthOptions, proxy: member.kind === 'proxy' }) });
      } catch (error) {
        members.push({ ...base, error: `${member.name}: ${(error as Error).message}` });
      }
    }
    const worst = members.reduce<HealthLevel>((w, m) => worse(w, m.report ? m.report.worst : 'CRIT'), 'OK');
    return { members, worst, failed: members.filter((m) => m.error !== undefined).map((m) => m.name) };
  });
}
