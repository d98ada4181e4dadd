/** The `test` command line: connected to what, as whom, how fast. */
import type { Command } from 'commander';
import { CONNECTION_ROUND_TRIPS, testConnection } from '../../commands/test-connection.js';
import { formatDuration } from '../../util/format.js';
import type { CliContext } from '../context.js';

/** Adds the command, its options and its printing to the program. */
export function registerTestCommand(program: Command, cli: CliContext): void {
  program
    .command('test')
    .description(
      'connect and report server version, database, user, create permission and round-trip latency (exit 3 when it cannot connect)',
    )
    .option('--json', 'print one JSON document')
    .action(async (_options, command: Command) => {
      const { config, output } = cli.prepare(command);
      const report = await testConnection({ ...config, logger: cli.logger });
      if (output.json) return output.document(report);
      const s = output.style;
      output.line(`${s.ok('connected')} to ${report.target}`);
      output.line(`  server      ${report.serverVersion}`);
      output.line(`  database    ${report.database}`);
      output.line(`  user        ${report.user}`);
      output.line(`  can create  ${report.canCreate ? 'yes' : s.warn('no (this user cannot create schemas: migrate will fail)')}`);
      output.line(`  latency     ${formatDuration(report.latencyMs)} (median of ${CONNECTION_ROUND_TRIPS} round trips)`);
    });
}
