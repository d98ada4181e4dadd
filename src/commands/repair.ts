/** `repair`: the operator accepts edited migrations (new checksums) and clears failed no-transaction runs. */
import { Migrator } from '../migrator/migrator.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

export interface RepairReport {
  checksumsUpdated: string[];
  failedRemoved: string[];
}

export function repair(options: PersistorOptions = {}): Promise<RepairReport> {
  return withRuntime(options, ({ db, config, migrationsDir }) =>
    new Migrator({ db, migrationsDir, lockTimeoutMs: config.lockTimeoutMs }).repair(),
  );
}
