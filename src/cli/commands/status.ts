/** The `status` command line: migrations table, the schema's objects, roles, row counts and activity. */
import type { Command } from 'commander';
import { clusterStatus, type ClusterStatusReport } from '../../commands/cluster-status.js';
import { RECORDED_ERROR_DAYS, status, type StatusReport } from '../../commands/status.js';
import type { MigrationStatus } from '../../migrator/plan.js';
import { DEFAULT_EXACT_COUNT_THRESHOLD, type DataSummary, type TableCount } from '../../operations/data-summary.js';
import { OBJECT_COUNT } from '../../schema/manifest.js';
import type { ObjectsReport } from '../../schema/objects.js';
import { formatDuration, table } from '../../util/format.js';
import type { CliContext } from '../context.js';
import { ReportedFailure, type Output } from '../output.js';
import { printRoles } from '../print.js';

const stateLabel: Record<MigrationStatus['state'], string> = {
  applied: 'applied',
  baselined: 'baselined',
  pending: 'pending',
  outdated: 'changed: will re-apply',
  checksum_mismatch: 'EDITED after apply',
  failed: 'FAILED',
  out_of_order: 'pending, OUT OF ORDER',
  missing: 'file missing',
};

function printMigrationTable(output: Output, migrations: readonly MigrationStatus[]): void {
  const s = output.style;
  const rows = migrations.map((m) => {
    const label = stateLabel[m.state];
    const styled =
      m.state === 'applied' || m.state === 'baselined'
        ? s.ok(label)
        : m.state === 'pending' || m.state === 'outdated'
          ? s.warn(label)
          : s.bad(label);
    return [
      m.version ?? 'R',
      m.description,
      styled,
      m.appliedAt ? m.appliedAt.toISOString().replace('T', ' ').slice(0, 19) : '',
      m.executionMs === null ? '' : formatDuration(m.executionMs),
      (m.checksum ?? m.appliedChecksum ?? '').slice(0, 12),
    ];
  });
  output.line(table(['VERSION', 'DESCRIPTION', 'STATE', 'APPLIED AT (UTC)', 'DURATION', 'CHECKSUM'], rows));
}

function printObjectSummary(output: Output, schema: ObjectsReport): void {
  const s = output.style;
  const parts = schema.byKind.map((k) => {
    const text = `${k.kind}s ${k.present}/${k.expected}`;
    return k.present === k.expected ? text : s.bad(text);
  });
  const present = schema.byKind.reduce((sum, k) => sum + k.present, 0);
  const expected = schema.byKind.reduce((sum, k) => sum + k.expected, 0);
  output.line(`objects (schema ecliptix): ${parts.join(', ')} — ${present}/${expected} present`);
  if (present === 0) return output.line(`  ${s.warn('not deployed')}: run \`ecliptix-persistor migrate\``);
  for (const object of schema.objects.filter((o) => !o.present)) output.line(`  ${s.bad('missing')}   ${object.kind} ${object.name}`);
  for (const object of schema.objects.filter((o) => o.present && !o.enabled))
    output.line(`  ${s.bad('disabled')}  ${object.kind} ${object.name}`);
  for (const object of schema.unexpected) output.line(`  ${s.warn('unexpected')} ${object.kind} ${object.name}`);
  const added = schema.added.filter((o) => o.present && o.enabled).length;
  const addedText = `beside the seed: ${added}/${schema.added.length} present (${schema.added.map((o) => o.name).join(', ')})`;
  output.line(added === schema.added.length ? addedText : s.bad(addedText));
  for (const object of schema.added.filter((o) => !o.present)) output.line(`  ${s.bad('missing')}   ${object.kind} ${object.name}`);
  for (const object of schema.added.filter((o) => o.present && !o.enabled))
    output.line(`  ${s.bad('disabled')}  ${object.kind} ${object.name}`);
}

/** A count as printed: exact ones as they are, estimates as `~1,000,000 (estimate)`. */
function rowsText(rows: number, estimated: boolean): string {
  return estimated ? `~${rows.toLocaleString('en-US')} (estimate)` : String(rows);
}

function softDeletedText(output: Output, t: TableCount): string {
  if (t.table === 'login_attempts' || t.table === 'event_log') return output.style.dim('-');
  if (t.softDeleted === null) return output.style.dim('unknown');
  return rowsText(t.softDeleted, t.softDeletedEstimated);
}

/** The note under a table of counts that holds estimates: what they are, and how to count instead. */
function estimatesNote(output: Output, tables: readonly TableCount[], threshold: number | null): void {
  if (!tables.some((t) => t.estimated || t.softDeletedEstimated)) return;
  const from = threshold === null ? '' : ` for tables of ${threshold.toLocaleString('en-US')} rows or more`;
  output.line(output.style.dim(`~ the planner's estimate${from} (pg_class.reltuples and the column statistics, as of the`));
  output.line(output.style.dim('  last VACUUM or ANALYZE; unknown: never analysed), not a count. `status --exact` counts every row.'));
}

function printDataSummary(output: Output, data: DataSummary): void {
  output.line(
    table(
      ['TABLE', 'ROWS', 'SOFT-DELETED'],
      data.tables.map((t) => [t.table, rowsText(t.rows, t.estimated), softDeletedText(output, t)]),
    ),
  );
  estimatesNote(output, data.tables, data.estimateThreshold);
  const a = data.activity;
  output.line();
  output.line(`activity in the last 24 hours (since ${a.since.toISOString().replace('T', ' ').slice(0, 19)} UTC):`);
  output.line(`  verification flows created  ${a.flowsCreated} (${a.flowsVerified} verified)`);
  output.line(`  OTPs generated              ${a.otpsGenerated} (${a.failedOtpChecks} failed checks)`);
  output.line(`  memberships created         ${a.membershipsCreated}`);
  output.line(`  login attempts              ${a.loginAttempts} (${a.successfulLogins} successful)`);
  output.line(`  lockouts                    ${a.lockouts}`);
}

/** `status` on a cluster: each partition in a few lines, the totals, the proxy; exit 3 (after the report) when one cannot be reached. */
function printClusterStatus(output: Output, report: ClusterStatusReport): void {
  const s = output.style;
  const count = report.partitions.length;
  for (const p of report.partitions) {
    if (!p.reachable) {
      output.line(`${s.bad('UNREACHABLE')}  ${p.error}`);
      continue;
    }
    const identity = p.identity ? `partition ${p.identity.index} of ${p.identity.count}` : 'not deployed as a partition';
    const objects = p.schema ? p.schema.objects.filter((o) => o.present).length : undefined;
    const rows = p.data ? p.data.tables.reduce((sum, t) => sum + t.rows, 0) : undefined;
    const estimated = p.data ? p.data.tables.some((t) => t.estimated) : false;
    output.line(
      `partition ${p.index} (${p.target}): ${p.counts.applied} applied, ${p.counts.pending} pending — ${p.upToDate ? s.ok('up to date') : s.warn('not up to date')}` +
        `; identity ${p.identityMatches ? identity : s.bad(identity)}` +
        (objects === undefined ? '' : `; objects ${objects === OBJECT_COUNT ? objects : s.bad(String(objects))}/${OBJECT_COUNT}`) +
        (rows === undefined ? '' : `; ${rowsText(rows, estimated)} rows`),
    );
    for (const problem of p.problems) output.line(`  ${s.bad('problem')}  ${problem}`);
  }
  const proxy = report.proxy;
  if (!proxy.reachable) output.line(`${s.bad('UNREACHABLE')}  ${proxy.error}`);
  else {
    const definitions = proxy.definitionsMatch
      ? `${count} partition definitions match the configuration`
      : proxy.partitionCount === null
        ? s.bad('no cluster definition')
        : s.bad(
            `partition definitions differ from the configuration (${proxy.partitionCount} defined; ` +
              `${
                proxy.partitions
                  .filter((p) => !p.matches)
                  .map((p) => `p${p.index}`)
                  .join(', ') || 'extra ones'
              } differ)`,
          );
    output.line(
      `proxy (${proxy.target}): PL/Proxy ${proxy.plproxy ?? s.bad('not installed')}; routines ${proxy.routines.present === proxy.routines.expected ? proxy.routines.present : s.bad(String(proxy.routines.present))}/${proxy.routines.expected}; ${definitions} — ${proxy.ready ? s.ok('ready') : s.warn('not ready')}`,
    );
    if (proxy.routines.missing.length > 0 && proxy.routines.present > 0)
      output.line(`  ${s.bad('missing')}  ${proxy.routines.missing.map((name) => `ecliptix.${name}`).join(', ')}`);
  }
  output.line();
  const t = report.total;
  output.line(
    `total: ${t.upToDate}/${t.partitions} partitions up to date, ${t.objectsPresent}/${t.partitions} with all ${OBJECT_COUNT} objects, ${rowsText(t.totalRows, t.estimated)} rows — ` +
      (report.upToDate ? s.ok('cluster up to date') : s.warn('cluster not up to date')),
  );
  if (t.reachable > 0) {
    output.line(
      table(
        ['TABLE', 'ROWS (ALL PARTITIONS)', 'SOFT-DELETED'],
        t.rows.map((r) => [r.table, rowsText(r.rows, r.estimated), softDeletedText(output, r)]),
      ),
    );
    const summaries = report.partitions.flatMap((p) => (p.reachable && p.data ? [p.data] : []));
    estimatesNote(output, t.rows, summaries[0]?.estimateThreshold ?? null);
  }
}

/** The error view: the journal's failed entries and the errors the routines recorded lately. */
function printErrors(output: Output, errors: StatusReport['errors']): void {
  const s = output.style;
  if (errors.failedMigrations.length === 0 && errors.recorded.length === 0) {
    output.line(`errors: ${s.ok('none')} (no failed migration in the journal, no error recorded in the last ${RECORDED_ERROR_DAYS} days)`);
    return;
  }
  output.line('errors:');
  for (const m of errors.failedMigrations)
    output.line(
      `  ${s.bad('failed migration')}  ${m.script} at ${m.installedAt.toISOString()}${m.failure ? `: ${m.failure}` : ''} (fix it, then \`repair\` and \`migrate\`)`,
    );
  for (const e of errors.recorded) output.line(`  ${s.bad(e.eventType)}  ${e.createdAt.toISOString()}  ${e.message}`);
}

/** Adds the command, its options and its printing to the program. */
export function registerStatusCommand(program: Command, cli: CliContext): void {
  program
    .command('status')
    .description(
      `show applied and pending migrations, whether the database is up to date, the ${OBJECT_COUNT} objects, row counts per table (a large table's estimated unless --exact) and the last 24 hours of activity; with a cluster configured, each partition, the totals and the proxy`,
    )
    .option(
      '--drift',
      "also compare each object's definition with what the migration files build (rebuilt in a transaction that is rolled back)",
    )
    .option(
      '--exact',
      `count every table's rows exactly (reads every row); by default a table the planner puts at ${DEFAULT_EXACT_COUNT_THRESHOLD.toLocaleString('en-US')} rows or more shows the planner's estimate, marked as one`,
    )
    .option('--json', 'print one JSON document')
    .action(async (options: { drift?: boolean; exact?: boolean }, command: Command) => {
      const { config, output } = cli.prepare(command);
      if (config.cluster) {
        const report = await clusterStatus({ ...config, logger: cli.logger, drift: options.drift === true, exact: options.exact === true });
        if (output.json) output.document(report);
        else printClusterStatus(output, report);
        if (report.unreachable.length > 0) {
          const first = [...report.partitions, report.proxy].find((member) => !member.reachable);
          throw new ReportedFailure(
            first && !first.reachable && first.code !== 'CONNECTION_FAILED' ? first.code : 'CONNECTION_FAILED',
            `cannot read ${report.unreachable.join(', ')}; the others are reported above`,
          );
        }
        return;
      }
      const report = await status({ ...config, logger: cli.logger, drift: options.drift === true, exact: options.exact === true });
      if (output.json) return output.document(report);
      const s = output.style;
      output.line(`database: ${report.target}`);
      output.line(
        `migrations: ${report.counts.applied} applied, ${report.counts.pending} pending — ${report.upToDate ? s.ok('up to date') : s.warn('not up to date')}`,
      );
      if (report.schema) printObjectSummary(output, report.schema);
      if (report.drift) {
        if (report.drift.length === 0) output.line(`  ${s.ok('no drift')}: every definition is what the migration files build`);
        for (const d of report.drift)
          output.line(`  ${s.bad('drift')}     ${d.kind} ${d.name}: edited since deployed (run \`verify\` for the lines)`);
      }
      if (report.roles) {
        output.line();
        printRoles((text) => output.line(text), report.roles);
      }
      output.line();
      printMigrationTable(output, report.migrations);
      if (report.data) {
        output.line();
        printDataSummary(output, report.data);
      }
      output.line();
      printErrors(output, report.errors);
      for (const problem of report.problems) output.warn(problem);
      for (const warning of report.warnings) output.warn(warning);
    });
}
