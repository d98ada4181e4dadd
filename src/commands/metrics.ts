/**
 * `metrics`: daily monitoring as Prometheus text exposition, for
 * node_exporter's textfile collector or any scraper: the activity, the
 * phones locked now, the migration state and the server's figures. A
 * database that cannot be reached is not an error of the scrape: it is
 * `pg_up 0` (and the report says why), so a monitor sees it rather than a
 * stale file.
 */
import { isPersistorError, messageOf, type ErrorCode } from '../errors.js';
import { collectMetrics, renderExposition, unreachableSamples, type MetricSample } from '../operations/metrics.js';
import { shippedMigrationsDir } from '../sql-files.js';
import { maskDatabaseUrl } from '../util/redact.js';
import { clusterMembers, withEachMember } from './cluster-runtime.js';
import { resolveConfig, withRuntime, type PersistorOptions } from './runtime.js';

/** What {@link metrics} collected: the exposition text, its samples, and the members that could not be reached. */
export interface MetricsReport {
  /** Prometheus text exposition format 0.0.4. */
  exposition: string;
  samples: MetricSample[];
  /** Every database could be reached and read. */
  up: boolean;
  /** The databases that could not be reached, each with why (their samples say pg_up 0). */
  unreachable: { target: string; code: ErrorCode; error: string }[];
  /** Sections that failed on a database that was reached (each also `ecliptix_scrape_error{section} 1`). */
  errors: { target: string; section: string; error: string }[];
}

/** What could not be collected from one database: its error code and message. */
function failure(target: string, error: unknown): MetricsReport['unreachable'][number] {
  return { target, code: isPersistorError(error) ? error.code : 'OPERATION_FAILED', error: messageOf(error) };
}

function labelled(samples: readonly MetricSample[], labels: Record<string, string>): MetricSample[] {
  return samples.map((s) => ({ ...s, labels: { ...labels, ...s.labels } }));
}

/**
 * Collects the metrics of the configured database — or, when the config
 * file has a `cluster` key, of every partition and the proxy, each sample
 * labelled `member` (`partition-0`, …, `proxy`) — and renders them as
 * Prometheus text. Never throws for a database it cannot reach: its samples
 * are `pg_up 0` and `report.up` is false; a section that fails on a database
 * it reached is `ecliptix_scrape_error{section} 1` and in `report.errors`,
 * the rest still collected. Bad configuration still throws (INVALID_CONFIG, exit 2).
 *
 * @example
 * ```ts
 * import { metrics } from 'ecliptix-persistor'
 *
 * const { exposition, up } = await metrics({ databaseUrl: process.env.DATABASE_URL })
 * process.stdout.write(exposition)
 * ```
 */
export async function metrics(options: PersistorOptions = {}): Promise<MetricsReport> {
  const config = resolveConfig(options);
  const unreachable: MetricsReport['unreachable'] = [];
  const errors: MetricsReport['errors'] = [];
  let samples: MetricSample[];
  if (config.cluster && !options.db) {
    const members = clusterMembers(config.cluster);
    samples = await withEachMember(config, [...members.partitions, members.proxy], async (opened) => {
      const all: MetricSample[] = [];
      for (const member of opened) {
        const labels = { member: member.kind === 'proxy' ? 'proxy' : `partition-${member.index}` };
        if ('error' in member) {
          unreachable.push(failure(member.target, member.error));
          all.push(...labelled(unreachableSamples(0), labels));
          continue;
        }
        const collected = await collectMetrics(member.db, {
          migrationsDir: config.migrationsDir ?? shippedMigrationsDir,
          lockTimeoutMs: config.lockTimeoutMs,
          shipped: config.migrationsDir === undefined,
          proxy: member.kind === 'proxy',
        });
        all.push(...labelled(collected.samples, labels));
        errors.push(...collected.errors.map((e) => ({ target: member.target, ...e })));
      }
      return all;
    });
  } else {
    const started = performance.now();
    try {
      const collected = await withRuntime(
        options,
        ({ db, migrationsDir }) =>
          collectMetrics(db, { migrationsDir, lockTimeoutMs: config.lockTimeoutMs, shipped: config.migrationsDir === undefined }),
        { mustExist: true },
      );
      samples = collected.samples;
      errors.push(
        ...collected.errors.map((e) => ({ target: config.databaseUrl ? maskDatabaseUrl(config.databaseUrl) : config.dataDir, ...e })),
      );
    } catch (error) {
      if (isPersistorError(error) && (error.code === 'INVALID_CONFIG' || error.code === 'INVALID_ARGUMENT')) throw error;
      unreachable.push(failure(config.databaseUrl ? maskDatabaseUrl(config.databaseUrl) : config.dataDir, error));
      samples = unreachableSamples(performance.now() - started);
    }
  }
  return { exposition: await renderExposition(samples), samples, up: unreachable.length === 0, unreachable, errors };
}
