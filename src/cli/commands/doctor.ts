/** The `doctor` command line: the issue-report bundle, printed or written to a file (0600, never over a file without --force). */
import type { Command } from 'commander';
import { provenanceOf } from '../../config/load.js';
import { doctor, doctorOfInvalidConfiguration, type DoctorConnection, type DoctorReport } from '../../commands/doctor.js';
import { PersistorError, isPersistorError, messageOf } from '../../errors.js';
import { formatDuration, table } from '../../util/format.js';
import { replaceFile } from '../../util/replace-file.js';
import { writeFile } from 'node:fs/promises';
import type { CliContext, GlobalFlags } from '../context.js';

function connectionLines(connection: DoctorConnection, indent = '  '): string[] {
  if (!connection.ok) return [`${indent}UNREACHABLE  ${connection.target}`, `${indent}${connection.code}: ${connection.error}`];
  return [
    `${indent}connected to ${connection.target} (${connection.engine})`,
    `${indent}server      ${connection.serverVersion}`,
    `${indent}database    ${connection.database}`,
    `${indent}user        ${connection.user}`,
    `${indent}can create  ${connection.canCreate ? 'yes' : 'no'}`,
    `${indent}latency     ${formatDuration(connection.latencyMs)}`,
  ];
}

function shownValue(value: unknown): string {
  if (value === undefined) return '(not set)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The report as text for people (and for an issue): every section, findings first. */
function renderDoctorReport(report: DoctorReport): string {
  const v = report.versions;
  const lines: string[] = [`ecliptix-persistor doctor  ${report.generatedAt}`, ''];

  lines.push(report.findings.length === 0 ? 'Problems recognised: none' : `Problems recognised: ${report.findings.length}`);
  for (const finding of report.findings) {
    lines.push(`  [${finding.rule}] seen (${finding.source}): ${finding.seen}`);
    lines.push(`    likely cause: ${finding.cause}`);
    lines.push(`    fix: ${finding.fix}`);
  }

  lines.push('', 'Versions');
  lines.push(`  ${v.tool.name}  ${v.tool.version}`);
  lines.push(`  node  ${v.node}`);
  lines.push(`  os    ${v.os.type} ${v.os.release} ${v.os.arch}${v.os.distribution ? ` (${v.os.distribution})` : ''}`);
  if (v.pglite) lines.push(`  pglite  ${v.pglite}`);
  lines.push(`  database  ${v.database ? `${v.database.engine}: ${v.database.serverVersion}` : 'unknown (not connected)'}`);

  lines.push('', `Configuration${report.configuration.configFile ? ` (config file ${report.configuration.configFile})` : ''}`);
  if (report.configuration.error) lines.push(`  INVALID  ${report.configuration.error}`);
  else
    lines.push(
      ...table(
        ['key', 'value', 'source'],
        report.configuration.values.map((c) => [c.key, shownValue(c.value), c.from ? `${c.source} ${c.from}` : c.source]),
      )
        .split('\n')
        .map((line) => `  ${line}`),
    );
  for (const secret of report.configuration.secrets) {
    lines.push(`  ${secret.name}  ${secret.set ? `set${secret.keyIds ? ` (key ids ${secret.keyIds.join(', ')})` : ''}` : 'not set'}`);
  }

  lines.push('', 'Connection test');
  lines.push(...connectionLines(report.connection));
  for (const member of report.cluster?.members ?? []) lines.push(`  ${member.name}`, ...connectionLines(member.connection, '    '));

  lines.push('', 'Status');
  const status = report.status;
  if (status) {
    lines.push(
      `  ${status.upToDate ? 'up to date' : 'NOT up to date'}: ${status.counts.applied} applied, ${status.counts.pending} pending, ${status.counts.problems} problem(s)`,
    );
    for (const problem of status.problems) lines.push(`  problem: ${problem}`);
    for (const warning of status.warnings) lines.push(`  warning: ${warning}`);
    if (status.schema) {
      lines.push(`  objects: ${status.schema.byKind.map((k) => `${k.kind} ${k.present}/${k.expected}`).join(', ')}`);
    }
    if (status.data) lines.push(`  rows: ${status.data.tables.map((t) => `${t.table} ${t.rows}`).join(', ')}`);
  } else if (report.cluster?.status) {
    const { total, partitions, proxy } = report.cluster.status;
    lines.push(`  cluster: ${total.reachable}/${total.partitions} partitions reachable, ${total.upToDate} up to date`);
    for (const p of partitions) {
      lines.push(
        p.reachable
          ? `  partition ${p.index}: ${p.upToDate ? 'up to date' : 'NOT up to date'}: ${p.counts.applied} applied, ${p.counts.pending} pending, ${p.counts.problems} problem(s)`
          : `  partition ${p.index}: UNREACHABLE ${p.error}`,
      );
    }
    lines.push(`  proxy: ${proxy.reachable ? 'reachable' : `UNREACHABLE ${proxy.error}`}`);
  } else {
    lines.push('  not available (see the connection test and notes)');
  }

  lines.push('', `Failed journal entries: ${report.failedMigrations.length === 0 ? 'none' : report.failedMigrations.length}`);
  for (const entry of report.failedMigrations) {
    lines.push(`  ${entry.database ? `${entry.database}: ` : ''}${entry.script}: ${entry.failure ?? 'no reason recorded'}`);
  }

  lines.push('', `Errors the routines recorded: ${report.recordedErrors.length === 0 ? 'none' : report.recordedErrors.length}`);
  for (const event of report.recordedErrors) {
    const at = new Date(event.createdAt).toISOString();
    lines.push(`  ${at}  ${event.database ? `${event.database}  ` : ''}${event.eventType}  ${event.message}`);
  }

  if (report.notes.length > 0) lines.push('', 'Notes', ...report.notes.map((note) => `  ${note}`));
  return `${lines.join('\n')}\n`;
}

/** Writes `text` to `file` with mode 0600: a new file, or with `force` one written aside and renamed over the old. */
async function writeReport(file: string, text: string, force: boolean): Promise<void> {
  try {
    if (!force) {
      await writeFile(file, text, { flag: 'wx', mode: 0o600 });
      return;
    }
    await replaceFile(file, text, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && !force) {
      throw new PersistorError('INVALID_ARGUMENT', `${file} exists: doctor does not overwrite a file unless --force is given`);
    }
    throw new PersistorError('OPERATION_FAILED', `cannot write the report to ${file}: ${messageOf(error)}`, { cause: error });
  }
}

/** The report; a configuration that does not load is diagnosed in it rather than ending the run. */
async function gather(cli: CliContext, command: Command): Promise<DoctorReport> {
  let prepared: ReturnType<CliContext['prepare']>;
  try {
    prepared = cli.prepare(command);
  } catch (error) {
    if (!isPersistorError(error) || error.code !== 'INVALID_CONFIG') throw error;
    return doctorOfInvalidConfiguration(error, { urls: [command.optsWithGlobals<GlobalFlags>().databaseUrl] });
  }
  const { config } = prepared;
  const where = provenanceOf(config);
  return doctor({
    ...config,
    logger: cli.logger,
    ...(where?.origins ? { origins: where.origins } : {}),
    ...(where?.configFile ? { configFile: where.configFile } : {}),
  });
}

/** Adds the command, its options and its printing to the program. */
export function registerDoctorCommand(program: Command, cli: CliContext): void {
  program
    .command('doctor')
    .description(
      'what to attach to an issue report: versions, configuration and where each value came from (secrets masked), ' +
        'the connection test, status, failed journal entries, recorded errors, and the likely cause and fix of each problem it recognises',
    )
    .option('--json', 'print one JSON document')
    .option('-o, --output <file>', 'write the report to a new file (mode 0600) instead of stdout')
    .option('--force', 'with --output: replace an existing file')
    .addHelpText(
      'after',
      `
It exits 0 whenever it wrote its report, whatever the report says (a database
it cannot reach, or a configuration that does not load, is in the report, with
the likely cause); 2 for bad arguments, including --output naming an existing
file without --force; 1 when the file cannot be written. Passwords, keys and
phone numbers never appear in it.

Examples:
  ecliptix-persistor doctor
  ecliptix-persistor doctor -s "$DATABASE_URL" --output doctor.txt
  ecliptix-persistor doctor --json --output doctor.json --force`,
    )
    .action(async (options: { output?: string; force?: boolean }, command: Command) => {
      if (options.force && !options.output) throw new PersistorError('INVALID_ARGUMENT', '--force only goes with --output <file>');
      const report = await gather(cli, command);
      const { output } = cli;
      const text = output.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctorReport(report);
      if (!options.output) {
        process.stdout.write(text);
        return;
      }
      await writeReport(options.output, text, options.force === true);
      if (output.json) return output.document({ output: options.output, findings: report.findings.length });
      output.line(`wrote ${options.output}: ${report.findings.length} problem(s) recognised`);
    });
}
