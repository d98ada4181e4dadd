/** The `migrate` command line: one progress line per migration, with --dry-run the plan's SQL. */
import { Option, type Command } from 'commander';
import { migrate } from '../../commands/migrate.js';
import type { MigratorEvent } from '../../migrator/migrator.js';
import { formatDuration } from '../../util/format.js';
import type { CliContext } from '../context.js';
import { describeBackup } from '../print.js';

/** Adds the command, its options and its printing to the program. */
export function registerMigrateCommand(program: Command, cli: CliContext): void {
  program
    .command('migrate')
    .description('apply pending migrations, each in its own transaction, under a database-wide lock')
    .option('-t, --target <version>', 'apply versioned migrations up to and including this version only')
    .addOption(
      new Option(
        '-d, --dry-run',
        'print the plan and its SQL, run it in a transaction that is rolled back, report whether it would succeed',
      ),
    )
    .option(
      '-b, --backup [file]',
      'first back up the database when something will be applied (pg_dump / PGlite dump; default <backupDir>/<timestamp>.dump|.tar.gz)',
    )
    .option('--pg-bin <dir>', 'directory holding pg_dump for --backup (default: /usr/lib/postgresql/<server major>/bin, else PATH)')
    .option('--json', 'print one JSON document')
    .action(async (options: { target?: string; dryRun?: boolean; backup?: boolean | string; pgBin?: string }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const s = output.style;
      if (options.backup !== undefined && options.dryRun)
        output.warn('--backup is not needed with --dry-run (nothing changes): no backup taken');
      const onEvent = (event: MigratorEvent): void => {
        if (output.json) return;
        const name = event.migration.script;
        if (event.type === 'migration-start' && options.dryRun) {
          output.line(s.bold(`-- ${name}`));
          output.line(event.migration.sql.trimEnd());
          output.line();
        } else if (event.type === 'migration-done') {
          output.line(`${options.dryRun ? s.ok('would apply') : s.ok('applied')}  ${name}  ${s.dim(formatDuration(event.durationMs))}`);
        } else if (event.type === 'migration-skipped') {
          output.line(`${s.warn('not proven')}  ${name}  ${s.dim(event.reason)}`);
        }
      };
      const result = await migrate({
        ...config,
        logger: cli.logger,
        onEvent,
        ...(options.target === undefined ? {} : { target: options.target }),
        dryRun: options.dryRun === true,
        ...(options.backup === undefined ? {} : { backup: options.backup }),
        ...(options.pgBin ? { pgBin: options.pgBin } : {}),
        onBackup: (taken) => {
          if (!output.json) output.line(`${s.ok('backed up')} to ${describeBackup(taken)}`);
        },
      });
      if (output.json) return output.document(result);
      for (const left of result.notApplied) output.line(`${s.dim('left pending')}  ${left.script}  ${s.dim(left.reason)}`);
      const total = result.applied.reduce((sum, m) => sum + m.durationMs, 0);
      if (result.dryRun) {
        output.line(
          result.applied.length === 0
            ? 'dry run: nothing to apply; the database is up to date'
            : `${s.ok('dry run succeeded')}: ${result.applied.length} migration(s) would apply (${formatDuration(total)}); everything was rolled back, nothing changed`,
        );
      } else if (result.applied.length === 0) {
        output.line(result.upToDate ? 'nothing to apply: the database is up to date' : 'nothing to apply up to the target');
      } else {
        output.line(`${s.ok('done')}: ${result.applied.length} migration(s) applied in ${formatDuration(total)} to ${result.target}`);
      }
    });
}
