/** The `status` command line: migrations table, the schema's objects, roles, row counts and activity. */
import type { Command } from 'commander';
import { status } from '../../commands/status.js';
import type { MigrationStatus } from '../../migrator/plan.js';
import type { DataSummary } from '../../operations/data-summary.js';
import { OBJECT_COUNT } from '../../schema/manifest.js';
import type { ObjectsReport } from '../../schema/objects.js';
import { formatDuration, table } from '../../util/format.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
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
}

function printDataSummary(output: Output, data: DataSummary): void {
  const s = output.style;
  output.line(
    table(
      ['TABLE', 'ROWS', 'SOFT-DELETED'],
      data.tables.map((t) => [
        t.table,
        String(t.rows),
        t.table === 'login_attempts' || t.table === 'event_log' ? s.dim('-') : String(t.softDeleted),
      ]),
    ),
  );
  const a = data.activity;
  output.line();
  output.line(`activity in the last 24 hours (since ${a.since.toISOString().replace('T', ' ').slice(0, 19)} UTC):`);
  output.line(`  verification flows created  ${a.flowsCreated} (${a.flowsVerified} verified)`);
  output.line(`  OTPs generated              ${a.otpsGenerated} (${a.failedOtpChecks} failed checks)`);
  output.line(`  memberships created         ${a.membershipsCreated}`);
  output.line(`  login attempts              ${a.loginAttempts} (${a.successfulLogins} successful)`);
  output.line(`  lockouts                    ${a.lockouts}`);
}

/** Adds the command, its options and its printing to the program. */
export function registerStatusCommand(program: Command, cli: CliContext): void {
  program
    .command('status')
    .description(
      `show applied and pending migrations, whether the database is up to date, the ${OBJECT_COUNT} objects, row counts per table and the last 24 hours of activity`,
    )
    .option(
      '--drift',
      "also compare each object's definition with what the migration files build (rebuilt in a transaction that is rolled back)",
    )
    .option('--json', 'print one JSON document')
    .action(async (options: { drift?: boolean }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const report = await status({ ...config, logger: cli.logger, drift: options.drift === true });
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
      for (const problem of report.problems) output.warn(problem);
      for (const warning of report.warnings) output.warn(warning);
    });
}
