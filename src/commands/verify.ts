/** `verify`: the seed's post-deployment checklist — its five success criteria, each passed or failed (exit 5 unless all pass). */
import { PersistorError } from '../errors.js';
import { verifyDatabase, type VerifyReport } from '../operations/verify.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

export interface VerifyCommandOptions extends PersistorOptions {
  /** The role the application connects as (privileges and basic operations are checked for it); default the application role set up by `roles`, else the connected user. */
  appRole?: string;
}

export type { VerifyReport };

/** Runs every check and returns the report; it does not throw when a criterion fails (see `report.passed`). */
export async function verify(options: VerifyCommandOptions = {}): Promise<VerifyReport & { target: string; engine: string }> {
  const { appRole, ...rest } = options;
  if (appRole !== undefined && appRole.trim() === '') throw new PersistorError('INVALID_ARGUMENT', '--app-role must name a role');
  return withRuntime(
    rest,
    async ({ db, config, migrationsDir }) => {
      const report = await verifyDatabase(db, { migrationsDir, lockTimeoutMs: config.lockTimeoutMs, ...(appRole ? { appRole } : {}) });
      return { target: db.target, engine: db.engine, ...report };
    },
    { mustExist: true },
  );
}
