/** The `import` command line: --schema or --files, the report table, exit 5 when the input is not valid. */
import type { Command } from 'commander';
import { DATA_KEYS_ENV } from '../../client/keyring.js';
import { importDatabase, type ImportProblem, type ImportReport } from '../../commands/import.js';
import { PersistorError } from '../../errors.js';
import type { FileFormat } from '../../operations/import/files.js';
import { DEFAULT_STAGING_SCHEMA, type ImportSource } from '../../operations/import/run.js';
import { formatDuration, table } from '../../util/format.js';
import type { CliContext } from '../context.js';
import { ReportedFailure, type Output } from '../output.js';

/** Where a problem is: table.column, the row's Id, the file's line. */
export function describeProblem(p: ImportProblem): string {
  const where = [
    p.column ? `${p.table}.${p.column}` : p.table,
    p.row === undefined ? '' : `row Id ${p.row}`,
    p.file ? `${p.file}${p.line === undefined ? '' : ` line ${p.line}`}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${where}: ${p.problem}`;
}

function printReport(output: Output, report: ImportReport): void {
  const s = output.style;
  if (report.status === 'invalid') {
    output.line(s.bad(`the input is not valid: ${report.problemCount} problem(s); nothing was written`));
    for (const p of report.problems) output.line(`  ${describeProblem(p)}`);
    const unlisted = report.problemCount - report.problems.length;
    if (unlisted > 0) output.line(s.dim(`  … and ${unlisted} more problem(s) (--json gives each checked kind's count)`));
    return;
  }
  output.line(
    table(
      ['ORIGINAL', 'ECLIPTIX', 'READ', 'WRITTEN', 'MERGED', 'EXPIRED', 'REFUSED'],
      report.tables.map((t) => [
        t.source,
        t.table,
        String(t.read),
        String(t.written),
        String(t.merged),
        String(t.expired),
        t.refused > 0 ? s.warn(String(t.refused)) : '0',
      ]),
    ),
  );
  const notes = report.tables.flatMap((t) => t.notes.map((n) => `  ${t.table}: ${n.rows} ${n.kind} — ${n.reason}`));
  if (notes.length > 0) {
    output.line();
    for (const note of notes) output.line(note);
  }
  output.line();
  const rate = report.durationMs > 0 ? `, ${Math.round((report.rowsRead / report.durationMs) * 1000)} rows/s` : '';
  const keys = `${report.secureKeys.encrypted} secure key(s) encrypted under data key ${report.secureKeys.keyId}`;
  if (report.dryRun)
    output.line(`dry run: ${report.rowsWritten} of ${report.rowsRead} row(s) would be imported (${keys}); everything was rolled back`);
  else
    output.line(
      `${s.ok('done')}: ${report.rowsWritten} of ${report.rowsRead} row(s) imported in ${formatDuration(report.durationMs)}${rate}; ${keys}`,
    );
  if (report.stagingSchemaDropped && report.source.kind === 'schema')
    output.line(`staging schema ${report.source.schema} dropped (it held the original's plaintext secure keys)`);
  else if (report.stagingDropped && report.source.kind === 'schema')
    output.line(
      `the staged tables in ${report.source.schema} dropped (they held the original's plaintext secure keys); the schema holds other objects and was kept`,
    );
  else if (!report.dryRun && report.source.kind === 'schema')
    output.line(
      s.warn(
        `staging schema ${report.source.schema} kept: its tables hold the original's plaintext secure keys — drop them once you are done`,
      ),
    );
}

/** Adds the command, its options and its printing to the program. */
export function registerImportCommand(program: Command, cli: CliContext): void {
  program
    .command('import')
    .description(
      "bring an EcliptixMemberships database over from SQL Server, all or nothing: validate the original's tables (staged by pgloader, or exported files), then write them into ecliptix in one transaction, keeping every UniqueId and every member's secure key (encrypted under the current data key)",
    )
    .option('--schema <name>', `the staging schema pgloader filled with the original's dbo tables (default ${DEFAULT_STAGING_SCHEMA})`)
    .option(
      '--files <dir>',
      'import exported files instead: one per table (AppDevices.bcp, … from `bcp … out -c`, or AppDevices.csv, … with a header)',
    )
    .option('--format <format>', "the files' format, bcp or csv (default: by extension, .csv is CSV)")
    .option('--merge', 'import into a database that already holds data: numbers and devices it has become theirs')
    .option('-d, --dry-run', 'validate and map everything, print the report, and roll it all back')
    .option(
      '--keep-staging',
      "keep the staging schema after the import (it holds the original's plaintext secure keys; dropped by default)",
    )
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Secure keys are encrypted under the current data key (${DATA_KEYS_ENV}, as for the application; the embedded
database uses its development keys). Run it as the owner, after \`migrate\`.
Exit 5 when the input is invalid (each problem names the table, the row or line, and the column; nothing
is written); 2 when the target already holds data (without --merge) or an option is wrong; 4 when the
target is not migrated.`,
    )
    .action(
      async (
        options: { schema?: string; files?: string; format?: string; merge?: boolean; dryRun?: boolean; keepStaging?: boolean },
        command: Command,
      ) => {
        if (options.files !== undefined && options.schema !== undefined)
          throw new PersistorError('INVALID_ARGUMENT', 'give --schema or --files, not both');
        if (options.format !== undefined && options.format !== 'bcp' && options.format !== 'csv')
          throw new PersistorError('INVALID_ARGUMENT', `--format must be bcp or csv (got "${options.format}")`);
        if (options.format !== undefined && options.files === undefined)
          throw new PersistorError('INVALID_ARGUMENT', '--format goes with --files');
        const source: ImportSource =
          options.files !== undefined
            ? { directory: options.files, ...(options.format ? { format: options.format as FileFormat } : {}) }
            : { schema: options.schema ?? DEFAULT_STAGING_SCHEMA };
        const { config, output } = cli.prepare(command);
        const tty = !output.json && process.stderr.isTTY;
        const report = await importDatabase({
          ...config,
          source,
          dryRun: options.dryRun === true,
          merge: options.merge === true,
          keepStaging: options.keepStaging === true,
          logger: cli.logger,
          onDevelopmentKeys: (file) =>
            output.warn(`using the embedded database's development data keys from ${file}; configure ${DATA_KEYS_ENV} for production`),
          ...(tty ? { onStep: (step: string) => process.stderr.write(`\r\u001b[2K${step}…`) } : {}),
        }).finally(() => {
          if (tty) process.stderr.write('\r\u001b[2K');
        });
        if (output.json) output.document(report);
        else printReport(output, report);
        if (report.status === 'invalid')
          throw new ReportedFailure('VALIDATION_FAILED', `the input is not valid (${report.problemCount} problem(s)); nothing was written`);
      },
    );
}
