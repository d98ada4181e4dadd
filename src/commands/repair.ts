/** `repair`: the operator accepts edited migrations (new checksums) and clears failed no-transaction runs. */
import { Migrator } from '../migrator/migrator.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/** What {@link repair} changed in the migration journal. */
export interface RepairReport {
  /** Applied migrations whose file was edited: their new checksum is now recorded. */
  checksumsUpdated: string[];
  /** Failed no-transaction runs forgotten, so that `migrate` runs them again. */
  failedRemoved: string[];
}

/**
 * Accepts edited versioned migrations by recording their new checksums, and
 * forgets failed no-transaction runs. Run it once the edits are known to be
 * intended; {@link validate} reports them first.
 *
 * @example
 * ```ts
 * import { repair } from 'ecliptix-persistor'
 *
 * const { checksumsUpdated } = await repair({ databaseUrl: process.env.DATABASE_URL })
 * ```
 */
export function repair(options: PersistorOptions = {}): Promise<RepairReport> {
  return withRuntime(options, ({ db, config, migrationsDir }) =>
    new Migrator({ db, migrationsDir, lockTimeoutMs: config.lockTimeoutMs }).repair(),
  );
}
