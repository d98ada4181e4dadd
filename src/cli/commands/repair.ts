/** The `repair` command line. */
import type { Command } from 'commander';
import { repair } from '../../commands/repair.js';
import type { CliContext } from '../context.js';

/** Adds the command, its options and its printing to the program. */
export function registerRepairCommand(program: Command, cli: CliContext): void {
  program
    .command('repair')
    .description('accept edited versioned migrations by recording their new checksums, and forget failed no-transaction runs')
    .option('--json', 'print one JSON document')
    .action(async (_options, command: Command) => {
      const { config, output } = cli.prepare(command);
      const report = await repair({ ...config, logger: cli.logger });
      if (output.json) return output.document(report);
      for (const script of report.checksumsUpdated) output.line(`${output.style.warn('accepted edit')}  ${script}`);
      for (const script of report.failedRemoved) output.line(`${output.style.warn('cleared failure')}  ${script}`);
      if (report.checksumsUpdated.length + report.failedRemoved.length === 0) output.line('nothing to repair');
    });
}
