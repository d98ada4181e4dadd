/** `validate`: checksums of applied migrations against the files (exit 5 on any mismatch). */
import { Migrator } from '../migrator/migrator.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/** The result of {@link validate} when every applied migration matches its file. */
export interface ValidateReport {
  valid: true;
  /** How many applied migrations were compared with their file. */
  checked: number;
  warnings: string[];
}

/**
 * Checks that the applied migrations were not edited since: each file's
 * checksum against the journal's. A mismatch rejects with a
 * VALIDATION_FAILED error (exit 5) naming each file and both checksums.
 *
 * @example
 * ```ts
 * import { validate } from 'ecliptix-persistor'
 *
 * const { checked } = await validate({ databaseUrl: process.env.DATABASE_URL })
 * ```
 */
export function validate(options: PersistorOptions = {}): Promise<ValidateReport> {
  return withRuntime(
    options,
    async ({ db, config, migrationsDir }) => {
      const plan = await new Migrator({ db, migrationsDir, lockTimeoutMs: config.lockTimeoutMs }).validate();
      const checked = plan.statuses.filter((s) => s.appliedChecksum !== null && s.checksum !== null).length;
      return { valid: true, checked, warnings: plan.warnings };
    },
    { mustExist: true },
  );
}
