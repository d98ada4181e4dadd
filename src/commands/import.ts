/**
 * `import`: brings an EcliptixMemberships database over from SQL Server, all
 * or nothing — from a staging schema pgloader filled (`--schema`, default
 * ecliptix_import) or from exported files (`--files <dir>`: bcp character
 * format or CSV) — into a freshly migrated database (or, with `--merge`, one
 * that holds data), keeping every member able to sign in with their key.
 * `--dry-run` does everything and rolls it back.
 */
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { exitAfterReport } from './interrupt.js';
import type { Output } from '../cli/output.js';
import { DATA_KEYS_ENV, type Keyring } from '../client/keyring.js';
import { resolveDataKeys } from './data-keys.js';
import { ExitCode, PersistorError } from '../errors.js';
import type { FileFormat } from '../operations/import/files.js';
import type { ImportProblem, ImportReport } from '../operations/import/report.js';
import { DEFAULT_STAGING_SCHEMA, assertStagingSchema, runImport, type ImportSource } from '../operations/import/run.js';
import { formatDuration, table } from '../util/format.js';
import { resolveConfig, withRuntime, type PersistorOptions } from './runtime.js';

export type { ImportReport, ImportProblem, ImportTableReport, ImportNote } from '../operations/import/report.js';

export interface ImportCommandOptions extends PersistorOptions {
  /** A staging schema pgloader filled (default ecliptix_import), or a directory of exported files (one per table). */
  source?: ImportSource;
  /** The data keyring, current key first (default ECLIPTIX_DATA_KEYS; embedded and opened here: its development keys). Required with `db` unless ECLIPTIX_DATA_KEYS is set. */
  dataKeys?: Keyring | string;
  dryRun?: boolean;
  merge?: boolean;
  keepStaging?: boolean;
  /** Where ECLIPTIX_DATA_KEYS is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  onDevelopmentKeys?: (file: string) => void;
  onStep?: (step: string) => void;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * Imports the original's tables into `ecliptix` in one transaction. Returns
 * the report; `status` is `invalid` (with `problems`) when the input is
 * wrong, and then nothing was written.
 */
export async function importDatabase(options: ImportCommandOptions = {}): Promise<ImportReport> {
  const {
    source = { schema: DEFAULT_STAGING_SCHEMA },
    dataKeys,
    dryRun,
    merge,
    keepStaging,
    env,
    onDevelopmentKeys,
    onStep,
    ...rest
  } = options;
  if ('schema' in source && !SCHEMA_NAME.test(source.schema))
    throw new PersistorError('INVALID_ARGUMENT', `--schema must be a schema name (letters, digits, _; got "${source.schema}")`);
  if ('schema' in source) assertStagingSchema(source.schema);
  const config = resolveConfig(rest);
  // A database the caller opened: its clients' keys are not known here (the default data directory's development keys
  // may belong to another database), so they must be given. Opened here: embedded, its development keys (made when missing).
  const keyring = resolveDataKeys(
    { ...(dataKeys === undefined ? {} : { dataKeys }), ...(env ? { env } : {}), ...(onDevelopmentKeys ? { onDevelopmentKeys } : {}) },
    {
      keys: rest.db ? 'none' : config.databaseUrl ? 'none' : 'create',
      dataDir: config.dataDir,
      ...(rest.db
        ? {
            missing: `importing into a database you opened (db) needs the data keyring its clients use: pass dataKeys (or set ${DATA_KEYS_ENV}); no development keys are made or read for it`,
          }
        : {}),
    },
  );
  return withRuntime(rest, ({ db, migrationsDir }) =>
    runImport(db, {
      source,
      dataKeys: keyring,
      migrationsDir,
      lockTimeoutMs: config.lockTimeoutMs,
      ...(dryRun === undefined ? {} : { dryRun }),
      ...(merge === undefined ? {} : { merge }),
      ...(keepStaging === undefined ? {} : { keepStaging }),
      ...(onStep ? { onStep } : {}),
    }),
  );
}

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
          exitAfterReport(ExitCode.validation, `the input is not valid (${report.problemCount} problem(s)); nothing was written`);
      },
    );
}
