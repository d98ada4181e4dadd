/** `verify`: the seed's post-deployment checklist — its five success criteria, each passed or failed (exit 5 unless all pass). */
import { PersistorError } from '../errors.js';
import { verifyDatabase, type VerifyReport } from '../operations/verify.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/** Options of {@link verify}: the database, and the role the application connects as. */
export interface VerifyCommandOptions extends PersistorOptions {
  /** The role the application connects as (privileges and basic operations are checked for it); default the application role set up by `roles`, else the connected user. */
  appRole?: string;
}

/** The checklist's outcome: each criterion passed or failed, with details, drift and the core checks. */
export type { VerifyReport };

/**
 * Runs the post-deployment checklist — the seed's five success criteria:
 * objects, their status and definitions, core functionality (rolled back),
 * the journal, application access — and returns the report. It does not
 * throw when a criterion fails: see `report.passed`.
 *
 * @example
 * ```ts
 * import { verify } from 'ecliptix-persistor'
 *
 * const report = await verify({ databaseUrl: process.env.DATABASE_URL, appRole: 'memberships_app' })
 * if (!report.passed) throw new Error(report.criteria.filter((c) => !c.passed).map((c) => c.title).join('; '))
 * ```
 */
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
