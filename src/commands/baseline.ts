/**
 * `baseline --version <v>`: adopt a database whose objects already exist, without running anything.
 * `baseline --from-flyway [--flyway-table <schema.table>]`: adopt a database that Flyway managed,
 * reading the versions from its history table instead (see migrator/flyway.ts).
 */
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { PersistorError } from '../errors.js';
import { DEFAULT_FLYWAY_TABLE, parseFlywayTable } from '../migrator/flyway.js';
import { Migrator, parseTarget } from '../migrator/migrator.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

export interface BaselineReport {
  version: string;
  recorded: string[];
  /** --from-flyway: the Flyway table read, and the repeatables left for `migrate` (changed since Flyway ran them, or never run). */
  flyway?: { table: string; repeatablesPending: string[] };
}

export type BaselineOptions = PersistorOptions &
  ({ version: string; fromFlyway?: false } | { fromFlyway: true; flywayTable?: string; version?: undefined });

export async function baseline(options: BaselineOptions): Promise<BaselineReport> {
  if (options.fromFlyway) {
    const { fromFlyway: _fromFlyway, flywayTable = DEFAULT_FLYWAY_TABLE, version: _version, ...rest } = options;
    parseFlywayTable(flywayTable);
    return withRuntime(rest, async ({ db, config, migrationsDir }) => {
      const adoption = await new Migrator({ db, migrationsDir, lockTimeoutMs: config.lockTimeoutMs }).baselineFromFlyway(flywayTable);
      return {
        version: adoption.version,
        recorded: [...adoption.versioned, ...adoption.repeatables].map((m) => m.script),
        flyway: { table: adoption.table, repeatablesPending: adoption.repeatablesPending.map((m) => m.script) },
      };
    });
  }
  const { version, fromFlyway: _fromFlyway, ...rest } = options;
  parseTarget(version);
  return withRuntime(rest, async ({ db, config, migrationsDir }) => {
    const adopted = await new Migrator({ db, migrationsDir, lockTimeoutMs: config.lockTimeoutMs }).baseline(version);
    return { version, recorded: adopted.map((m) => m.script) };
  });
}

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
