/** The `baseline` command line: `--version <v>`, or `--from-flyway [--flyway-table <schema.table>]`. */
import type { Command } from 'commander';
import { baseline } from '../../commands/baseline.js';
import { PersistorError } from '../../errors.js';
import { DEFAULT_FLYWAY_TABLE } from '../../migrator/flyway.js';
import type { CliContext } from '../context.js';

/** Adds the command, its options and its printing to the program. */
export function registerBaselineCommand(program: Command, cli: CliContext): void {
  program
    .command('baseline')
    .description(
      'record versioned migrations up to <version> as applied, without running them (for a database built before this tool, or managed by Flyway)',
    )
    .option('--version <version>', 'the last version the existing database already has')
    .option('--from-flyway', "read the versions from Flyway's history table instead of --version")
    .option(
      '--flyway-table <schema.table>',
      `Flyway's history table (default: ${DEFAULT_FLYWAY_TABLE} in the search path); implies --from-flyway`,
    )
    .option('--json', 'print one JSON document')
    .action(async (options: { version?: string; fromFlyway?: boolean; flywayTable?: string }, command: Command) => {
      const fromFlyway = options.fromFlyway === true || options.flywayTable !== undefined;
      if (fromFlyway === (options.version !== undefined)) {
        throw new PersistorError('INVALID_ARGUMENT', 'baseline needs either --version <version> or --from-flyway (not both)');
      }
      const { config, output } = cli.prepare(command);
      const report = fromFlyway
        ? await baseline({
            ...config,
            logger: cli.logger,
            fromFlyway: true,
            ...(options.flywayTable !== undefined ? { flywayTable: options.flywayTable } : {}),
          })
        : await baseline({ ...config, logger: cli.logger, version: options.version! });
      if (output.json) return output.document(report);
      for (const script of report.recorded) output.line(`${output.style.ok('baselined')}  ${script}`);
      for (const script of report.flyway?.repeatablesPending ?? [])
        output.line(`pending    ${script} (changed since Flyway ran it, or never run: \`migrate\` applies it)`);
      const source = report.flyway ? ` (from Flyway's ${report.flyway.table})` : '';
      output.line(`baseline at version ${report.version}${source}: ${report.recorded.length} migration(s) recorded as applied`);
    });
}
