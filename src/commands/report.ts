/**
 * `report`: the activity, conversion and migration state as one
 * self-contained HTML file with charts (or Markdown, or JSON), for an
 * operator's weekly look or to attach to a review.
 */
import { PersistorError } from '../errors.js';
import {
  DEFAULT_MINIMUM_REGION_FLOWS,
  DEFAULT_REPORT_DAYS,
  collectReport,
  foldSmallRegions,
  type DailyActivity,
  type ReportData,
  type ReportOptions,
} from '../operations/report.js';
import { renderHtml, renderMarkdown } from '../operations/report-render.js';
import { shippedMigrationsDir } from '../sql-files.js';
import { clusterMembers, withCluster } from './cluster-runtime.js';
import { resolveConfig, withRuntime, type PersistorOptions } from './runtime.js';

/** The report's formats: a self-contained HTML page with charts, Markdown tables, or the data as JSON. */
export type ReportFormat = 'html' | 'md' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'md', 'json'];

/** Options of {@link report}: the database, the period, the region threshold and the format. */
export interface ReportCommandOptions extends PersistorOptions, ReportOptions {
  /** Default html. */
  format?: ReportFormat;
}

/** What {@link report} made: the document in the format asked for, and the data it shows. */
export interface ReportResult {
  format: ReportFormat;
  document: string;
  data: ReportData;
}

/** INVALID_ARGUMENT (exit 2) unless the period, threshold and format are in range. */
function validateReportOptions(options: ReportCommandOptions): void {
  const { days, minimumRegionFlows, format } = options;
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 366))
    throw new PersistorError('INVALID_ARGUMENT', `days must be a whole number from 1 to 366 (got ${String(days)})`);
  if (
    minimumRegionFlows !== undefined &&
    !(Number.isInteger(minimumRegionFlows) && minimumRegionFlows >= 1 && minimumRegionFlows <= 1_000_000)
  )
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `the minimum flows per region must be a whole number from 1 to 1000000 (got ${String(minimumRegionFlows)})`,
    );
  if (format !== undefined && !REPORT_FORMATS.includes(format))
    throw new PersistorError('INVALID_ARGUMENT', `format must be one of ${REPORT_FORMATS.join(', ')} (got ${String(format)})`);
}

/** The partitions' refused calls added up per day and limit; null when no partition has the record. */
function mergeLimitHits(parts: readonly ReportData[]): ReportData['limitHits'] {
  if (parts.every((p) => p.limitHits === null)) return null;
  const sums = new Map<string, { day: string; limit: string; hits: number }>();
  for (const hit of parts.flatMap((p) => p.limitHits ?? [])) {
    const key = `${hit.day} ${hit.limit}`;
    const sum = sums.get(key) ?? { day: hit.day, limit: hit.limit, hits: 0 };
    sum.hits += hit.hits;
    sums.set(key, sum);
  }
  return [...sums.values()].sort((a, b) => a.day.localeCompare(b.day) || a.limit.localeCompare(b.limit));
}

/** A cluster's partitions as one database: activity added up per day, regions per region, the migration state of the first that is behind. */
function mergePartitions(parts: readonly ReportData[], target: string, minimum: number): ReportData {
  const days = new Map<string, DailyActivity>();
  for (const part of parts)
    for (const day of part.activity) {
      const sum = days.get(day.day);
      if (!sum) days.set(day.day, { ...day });
      else for (const key of Object.keys(day) as (keyof DailyActivity)[]) if (key !== 'day') sum[key] += day[key];
    }
  const behind = parts.find((p) => !p.migrations.upToDate) ?? parts[0]!;
  return {
    ...parts[0]!,
    target,
    minimumRegionFlows: minimum,
    activity: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
    conversion: foldSmallRegions(
      parts.flatMap((p) => p.conversion),
      minimum,
    ),
    limitHits: mergeLimitHits(parts),
    // Each partition keeps its own health snapshots: the report of one partition (--database-url) shows them.
    health: null,
    migrations: {
      ...behind.migrations,
      problems: parts.flatMap((p, index) => p.migrations.problems.map((problem) => `partition ${index}: ${problem}`)),
      schemaComplete: parts.every((p) => p.migrations.schemaComplete === null)
        ? null
        : parts.every((p) => p.migrations.schemaComplete === true),
    },
  };
}

/**
 * Reads the last `days` days (default 30) of the configured database — or,
 * on a cluster, of every partition, added up — and renders them as `format`
 * (default html: one file with its charts as inline SVG, nothing fetched).
 * Read-only.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * import { report } from 'ecliptix-persistor'
 *
 * const { document } = await report({ databaseUrl: process.env.DATABASE_URL, days: 7 })
 * writeFileSync('report.html', document)
 * ```
 */
export async function report(options: ReportCommandOptions = {}): Promise<ReportResult> {
  validateReportOptions(options);
  const { days, minimumRegionFlows, format = 'html', ...rest } = options;
  const collecting = {
    days: days ?? DEFAULT_REPORT_DAYS,
    minimumRegionFlows: minimumRegionFlows ?? DEFAULT_MINIMUM_REGION_FLOWS,
  };
  const config = resolveConfig(rest);
  let data: ReportData;
  if (config.cluster && !rest.db) {
    data = await withCluster(rest, async ({ partitions, cluster }) => {
      const parts: ReportData[] = [];
      for (const partition of partitions)
        parts.push(
          await collectReport(partition.db, {
            ...collecting,
            minimumRegionFlows: 1, // folded once the partitions are added up
            migrationsDir: config.migrationsDir ?? shippedMigrationsDir,
            lockTimeoutMs: config.lockTimeoutMs,
            shipped: config.migrationsDir === undefined,
          }),
        );
      const proxy = clusterMembers(cluster).proxy;
      return mergePartitions(parts, `a cluster of ${partitions.length} partitions (${proxy.target})`, collecting.minimumRegionFlows);
    });
  } else {
    data = await withRuntime(
      rest,
      ({ db, migrationsDir }) =>
        collectReport(db, {
          ...collecting,
          migrationsDir,
          lockTimeoutMs: config.lockTimeoutMs,
          shipped: config.migrationsDir === undefined,
        }),
      { mustExist: true },
    );
  }
  const document =
    format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : format === 'md' ? renderMarkdown(data) : await renderHtml(data);
  return { format, document, data };
}
