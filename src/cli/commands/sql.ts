/** The `sql` command line: a deployment script on stdout, or in a file with --output. */
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { sql } from '../../commands/sql.js';
import { COMPONENTS } from '../../migrator/script.js';
import type { CliContext } from '../context.js';

/** Adds the command, its options and its printing to the program. */
export function registerSqlCommand(program: Command, cli: CliContext): void {
  program
    .command('sql')
    .description(
      'print the complete deployment script (for psql -1 -v ON_ERROR_STOP=1 -f), one component or one migration (for psql -v ON_ERROR_STOP=1 -f), with journal rows so `status` and `migrate` recognise what psql applied',
    )
    .addOption(
      new Option(
        '--component <name>',
        "one component, as the seed's 001_DeployTables … 004_DeployTriggers (apply in this order; what is applied is skipped)",
      ).choices(COMPONENTS),
    )
    .option('--migration <name>', 'one migration with its journal row: file name or path, description, or version (14, V014)')
    .option('-o, --output <file>', 'write the script to a file instead of stdout')
    .option('--no-journal', 'whole deployment only: leave out the persistor.schema_history bookkeeping')
    .addHelpText(
      'after',
      `
Examples:
  ecliptix-persistor sql > deploy.sql && psql -1 -v ON_ERROR_STOP=1 -f deploy.sql
  for c in ${COMPONENTS.join(' ')}; do ecliptix-persistor sql --component $c | psql -v ON_ERROR_STOP=1 -f -; done
  ecliptix-persistor sql --migration V014 -o V014.sql`,
    )
    .action(async (options: { output?: string; journal: boolean; component?: string; migration?: string }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const script = await sql({
        migrationsDir: config.migrationsDir,
        journal: options.journal,
        ...(options.component === undefined ? {} : { component: options.component }),
        ...(options.migration === undefined ? {} : { migration: options.migration }),
      });
      if (options.output) {
        await writeFile(options.output, script);
        output.warn(`wrote ${options.output}`);
      } else {
        process.stdout.write(script);
      }
    });
}
