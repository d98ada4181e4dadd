/** `sql`: the complete deployment script, in order, for a DBA to review and apply with psql. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { resolveConfig, type PersistorOptions } from './runtime.js';
import { deploymentScript } from '../migrator/script.js';
import { shippedMigrationsDir } from '../sql-files.js';

export async function sql(options: Pick<PersistorOptions, 'migrationsDir'> & { journal?: boolean } = {}): Promise<string> {
  const config = resolveConfig({ migrationsDir: options.migrationsDir });
  const { script } = await deploymentScript(config.migrationsDir ?? shippedMigrationsDir, { journal: options.journal !== false });
  return script;
}

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
