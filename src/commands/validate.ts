/** `validate`: checksums of applied migrations against the files (exit 5 on any mismatch). */
import { Migrator } from '../migrator/migrator.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

export interface ValidateReport {
  valid: true;
  checked: number;
  warnings: string[];
}

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
