/**
 * The `health` command line: the findings as a table, what to do about each
 * WARN and CRIT, the sizes and their change since the last run; the exit
 * code says the worst level (0 OK, 6 WARN, 7 CRIT), apart from the tool's
 * error codes 1–5.
 */
import type { Command } from 'commander';
import {
  HEALTH_CHECKS,
  HEALTH_CHECK_NAMES,
  clusterHealth,
  health,
  parseThresholdOverrides,
  type ClusterHealthReport,
  type HealthFinding,
  type HealthLevel,
  type HealthReport,
} from '../../commands/health.js';
import { PersistorError, type ExitCode } from '../../errors.js';
import { formatBytes, formatDuration, table } from '../../util/format.js';
import type { CliContext } from '../context.js';
import { ReportedFailure, type Output } from '../output.js';
import { parseWhole } from '../progress.js';

/** The exit code of each worst level: 0, and two codes of their own for WARN and CRIT (1–5 stay the tool's errors). */
export const HEALTH_EXIT_CODES: Readonly<Record<HealthLevel, number>> = { OK: 0, WARN: 6, CRIT: 7 };

/** The run's worst level as the exit code; the report is already printed. */
class HealthLevelReached extends ReportedFailure {
  override readonly exitCode: ExitCode;
  constructor(level: HealthLevel, message: string) {
    super('OPERATION_FAILED', message);
    this.exitCode = HEALTH_EXIT_CODES[level] as ExitCode;
  }
}

const num = (value: number) => (Number.isInteger(value) ? value.toLocaleString('en-US') : String(Number(value.toPrecision(4))));

function levelText(output: Output, level: HealthFinding['level']): string {
  const s = output.style;
  return level === 'OK' ? s.ok(level) : level === 'WARN' ? s.warn(level) : level === 'CRIT' ? s.bad(level) : s.dim(level);
}

function thresholdText(f: HealthFinding): string {
  const t = (v: number | null) => (v === null ? 'off' : num(v));
  const dir = f.threshold.direction === 'below' ? 'below ' : '';
  return `${dir}${t(f.threshold.warn)} / ${t(f.threshold.crit)} ${f.unit}`;
}

function valueText(f: HealthFinding): string {
  if (f.value === null) return '-';
  return `${f.estimate ? '~' : ''}${num(f.value)} ${f.unit}`;
}

function sizeChange(bytes: number, change: number | null): string {
  if (change === null) return formatBytes(bytes);
  return `${formatBytes(bytes)} (${change >= 0 ? '+' : '-'}${formatBytes(Math.abs(change))})`;
}

function printReport(output: Output, report: HealthReport, indent = ''): void {
  const s = output.style;
  const line = (text = '') => output.line(text === '' ? '' : text.replace(/^/gm, indent));
  line(
    `health of ${report.target} (${report.engine === 'pglite' ? 'PGlite' : 'PostgreSQL'} ${report.serverVersion}), ${report.checkedAt.slice(0, 16).replace('T', ' ')} UTC`,
  );
  line();
  line(
    table(
      ['LEVEL', 'CHECK', 'SUBJECT', 'VALUE', 'WARN / CRIT', 'FINDING'],
      report.findings.map((f) => [levelText(output, f.level), f.check, f.subject, valueText(f), thresholdText(f), f.message]),
    ),
  );
  const todo = report.findings.filter((f) => (f.level === 'WARN' || f.level === 'CRIT') && f.action);
  if (todo.length > 0) {
    line();
    line('what to do:');
    for (const f of todo) line(`  ${levelText(output, f.level)} ${f.check} ${f.subject}: ${f.action}`);
  }
  line();
  const prev = report.previous ? ` since the last run (${report.previous.takenAt.slice(0, 16).replace('T', ' ')} UTC)` : '';
  line(`size: database ${sizeChange(report.sizes.database.bytes, report.sizes.database.changeBytes)}${prev}`);
  const largest = [...report.sizes.tables].sort((a, b) => b.bytes - a.bytes).slice(0, 5);
  line(`  largest tables: ${largest.map((t) => `${t.schema}.${t.table} ${sizeChange(t.bytes, t.changeBytes)}`).join(', ')}`);
  if (!report.previous) line(s.dim('  no previous snapshot: the next run shows the change since this one'));
  line(
    report.snapshot.kept
      ? `snapshot: kept in persistor.health_snapshots (the newest are kept, 1000 by default)`
      : s.warn(`snapshot: not kept — ${report.snapshot.reason}`),
  );
  const c = report.counts;
  line(
    `worst: ${levelText(output, report.worst)} — ${c.CRIT} CRIT, ${c.WARN} WARN, ${c.OK} OK, ${c.SKIPPED} skipped, in ${formatDuration(report.durationMs)} (exit ${HEALTH_EXIT_CODES[report.worst]})`,
  );
}

function printClusterReport(output: Output, report: ClusterHealthReport): void {
  const s = output.style;
  for (const m of report.members) {
    output.line(s.bold(m.name));
    if (m.report) printReport(output, m.report, '  ');
    else output.line(`  ${s.bad('CRIT')} could not be checked: ${m.error ?? 'unknown'}`);
    output.line();
  }
  const line = report.members.map((m) => `${m.kind === 'proxy' ? 'proxy' : `p${m.index ?? '?'}`} ${m.report?.worst ?? 'CRIT'}`).join(', ');
  output.line(`cluster: worst ${levelText(output, report.worst)} — ${line} (exit ${HEALTH_EXIT_CODES[report.worst]})`);
  if (report.failed.length > 0) output.line(s.bad(`not reachable: ${report.failed.join(', ')}`));
}

const collect = (value: string, previous: string[]) => [...previous, value];

function exitFor(worst: HealthLevel, what: string): void {
  if (worst === 'OK') return;
  throw new HealthLevelReached(worst, `health: ${worst} — ${what} (exit ${HEALTH_EXIT_CODES[worst]})`);
}

/** Adds the command, its options and its printing to the program. */
export function registerHealthCommand(program: Command, cli: CliContext): void {
  const checks = HEALTH_CHECK_NAMES.map((name) => {
    const d = HEALTH_CHECKS[name].defaults;
    const t = (v: number | null) => (v === null ? 'off' : String(v));
    return `  ${name.padEnd(20)} warn ${t(d.warn)}, crit ${HEALTH_CHECKS[name].warnAtMost ? '- (WARN at most)' : t(d.crit)} ${HEALTH_CHECKS[name].unit}${HEALTH_CHECKS[name].direction === 'below' ? ' (lower is worse)' : ''}${d.min === undefined ? '' : `; min ${d.min} (${HEALTH_CHECKS[name].min})`}`;
  }).join('\n');
  program
    .command('health')
    .description(
      'the quarterly health check: dead rows and stale statistics, transaction-id age, invalid, duplicate and unused indexes, REINDEX leftovers, bloat estimates, identifier headroom, long and idle-in-transaction sessions, connections, cache hit rate, size and growth since the last run, rows waiting for cleanup, the slowest statements; each OK / WARN / CRIT with its number, threshold and what to do',
    )
    .option(
      '--threshold <check.key=value>',
      'override a threshold, e.g. dead-tuples.warn=30 or database-size.warn=5000 (repeatable; "off" turns a level off)',
      collect,
      [],
    )
    .option('--no-snapshot', 'do not keep this run in persistor.health_snapshots (the previous one is still compared with)')
    .option('--keep-snapshots <n>', 'snapshots kept, the newest (default 1000)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Exit codes: 0 every finding OK, 6 the worst is WARN, 7 the worst is CRIT (skipped
checks do not count); the tool's own 1 (error), 2 (bad arguments or threshold),
3 (cannot connect) keep their meaning.

Checks and their default thresholds (<check>.<warn|crit|min>=<value>):
${checks}

On the embedded database, the checks it has no statistic for (sessions,
connections, cache hit rate, pg_stat_statements) say "skipped". Each run keeps a
small summary (sizes, row counts, each check's level and number) in
persistor.health_snapshots when the role may create or insert there, and shows
the change since the previous one.
On a cluster (the config file's "cluster" key): every partition and the proxy,
reported per member; one that cannot be reached is CRIT.

Examples:
  ecliptix-persistor health
  ecliptix-persistor health -s "$DATABASE_URL" --json > health.json
  ecliptix-persistor health --threshold dead-tuples.warn=30 --threshold unused-indexes.min=100000
  0 3 1 */3 * ecliptix-persistor health -s "$DATABASE_URL" || mail -s "db health" dba@example.com   # crontab`,
    )
    .action(async (options: { threshold: string[]; snapshot: boolean; keepSnapshots?: string }, command: Command) => {
      const thresholds = parseThresholdOverrides(options.threshold);
      const keepSnapshots = parseWhole('--keep-snapshots', options.keepSnapshots);
      if (keepSnapshots !== undefined && keepSnapshots < 1)
        throw new PersistorError('INVALID_ARGUMENT', '--keep-snapshots must be at least 1 (use --no-snapshot to keep none)');
      const { config, output } = cli.prepare(command);
      const healthOptions = {
        ...config,
        thresholds,
        snapshot: options.snapshot,
        ...(keepSnapshots === undefined ? {} : { keepSnapshots }),
        logger: cli.logger,
      };
      if (config.cluster) {
        const report = await clusterHealth(healthOptions);
        if (output.json) output.document(report);
        else printClusterReport(output, report);
        exitFor(report.worst, report.failed.length > 0 ? `not reachable: ${report.failed.join(', ')}` : 'see the findings per member');
        return;
      }
      const report = await health(healthOptions);
      if (output.json) output.document(report);
      else printReport(output, report);
      exitFor(report.worst, `${report.counts.CRIT} CRIT and ${report.counts.WARN} WARN finding(s); see "what to do"`);
    });
}
