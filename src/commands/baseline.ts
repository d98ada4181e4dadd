/** `baseline --version <v>`: adopt a database whose objects already exist, without running anything. */
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { Migrator, parseTarget } from '../migrator/migrator.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

export interface BaselineReport {
  version: string;
  recorded: string[];
}

export async function baseline(options: PersistorOptions & { version: string }): Promise<BaselineReport> {
  const { version, ...rest } = options;
  parseTarget(version);
  return withRuntime(rest, async ({ db, config, migrationsDir }) => {
    const adopted = await new Migrator({ db, migrationsDir, lockTimeoutMs: config.lockTimeoutMs }).baseline(version);
    return { version, recorded: adopted.map((m) => m.script) };
  });
}

export function registerBaselineCommand(program: Command, cli: CliContext): void {
  program
    .command('baseline')
    .description('record versioned migrations up to <version> as applied, without running them (for a database built before this tool)')
    .requiredOption('--version <version>', 'the last version the existing database already has')
    .option('--json', 'print one JSON document')
    .action(async (options: { version: string }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const report = await baseline({ ...config, logger: cli.logger, version: options.version });
      if (output.json) return output.document(report);
      for (const script of report.recorded) output.line(`${output.style.ok('baselined')}  ${script}`);
      output.line(`baseline at version ${report.version}: ${report.recorded.length} migration(s) recorded as applied`);
    });
}
