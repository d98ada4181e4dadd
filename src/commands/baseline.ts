/**
 * `baseline --version <v>`: adopt a database whose objects already exist, without running anything.
 * `baseline --from-flyway [--flyway-table <schema.table>]`: adopt a database that Flyway managed,
 * reading the versions from its history table instead (see migrator/flyway.ts).
 */
import { DEFAULT_FLYWAY_TABLE, parseFlywayTable } from '../migrator/flyway.js';
import { Migrator, parseTarget } from '../migrator/migrator.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/** What {@link baseline} recorded as applied. */
export interface BaselineReport {
  /** The version the database is now at. */
  version: string;
  /** The scripts recorded as applied, without being run. */
  recorded: string[];
  /** --from-flyway: the Flyway table read, and the repeatables left for `migrate` (changed since Flyway ran them, or never run). */
  flyway?: { table: string; repeatablesPending: string[] };
}

/** Options of {@link baseline}: the database, and either the `version` it already has or `fromFlyway` (with its `flywayTable`). */
export type BaselineOptions = PersistorOptions &
  ({ version: string; fromFlyway?: false } | { fromFlyway: true; flywayTable?: string; version?: undefined });

/**
 * Adopts a database whose objects already exist: records the versioned
 * migrations up to `version` as applied without running them, or — with
 * `fromFlyway` — reads the versions from Flyway's history table.
 *
 * @example
 * ```ts
 * import { baseline } from 'ecliptix-persistor'
 *
 * await baseline({ databaseUrl: process.env.DATABASE_URL, version: '3' })
 * await baseline({ databaseUrl: process.env.FLYWAY_DATABASE_URL, fromFlyway: true })
 * ```
 */
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
