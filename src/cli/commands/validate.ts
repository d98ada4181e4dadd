/** The `validate` command line. */
import type { Command } from 'commander';
import { validate } from '../../commands/validate.js';
import type { CliContext } from '../context.js';

/** Adds the command, its options and its printing to the program. */
export function registerValidateCommand(program: Command, cli: CliContext): void {
  program
    .command('validate')
    .description('check that applied migrations were not edited since (exit 5 naming each file and both checksums)')
    .option('--json', 'print one JSON document')
    .action(async (_options, command: Command) => {
      const { config, output } = cli.prepare(command);
      const report = await validate({ ...config, logger: cli.logger });
      if (output.json) return output.document(report);
      output.line(`${output.style.ok('valid')}: ${report.checked} applied migration(s) match their files`);
      for (const warning of report.warnings) output.warn(warning);
    });
}
