/** The `sql` command line: the deployment script on stdout, or in a file with --output. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { sql } from '../../commands/sql.js';
import type { CliContext } from '../context.js';

export function registerSqlCommand(program: Command, cli: CliContext): void {
  program
    .command('sql')
    .description('print the complete deployment script (for psql -1 -v ON_ERROR_STOP=1 -f), with journal rows so `status` recognises it')
    .option('-o, --output <file>', 'write the script to a file instead of stdout')
    .option('--no-journal', 'leave out the persistor.schema_history bookkeeping')
    .action(async (options: { output?: string; journal: boolean }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const script = await sql({ migrationsDir: config.migrationsDir, journal: options.journal });
      if (options.output) {
        await writeFile(options.output, script);
        output.warn(`wrote ${options.output}`);
      } else {
        process.stdout.write(script);
      }
    });
}
