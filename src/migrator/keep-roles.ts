/**
 * Keeps the least-privilege roles applied while migrations run. A migration
 * that re-creates a function (DROP + CREATE, or a new signature) leaves it
 * owned by the migrating user and executable by nobody else; re-applying the
 * roles inside that migration's own transaction, before it commits with its
 * journal row, means no other session ever sees the function that way. A
 * migration that runs without a transaction gets them right after it. Most
 * migrations (CREATE OR REPLACE of a routine) change nothing the roles cover;
 * for those it is one catalog query (see sql/roles/apply-roles.sql).
 */
import type { Queryable, Session } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { keepRolesApplied, rolesConfigured } from '../schema/roles.js';
import type { Migration } from './files.js';
import { describeSqlError } from './sql-error.js';

/** What keeping the roles took after one migration. */
export type RolesUpkeep = 'reapplied' | 'unchanged';

/**
 * Keeps the least-privilege roles applied through a migrator run: one per run, on a database where `roles` was run.
 *
 * @example
 * ```ts
 * const keeper = await RoleKeeper.forRun(session);
 * await session.transaction(async (tx) => {
 *   await tx.exec(migration.sql);
 *   if (keeper) await keeper.after(tx, migration);
 * });
 * ```
 */
export class RoleKeeper {
  /** Whether this version's role functions are in the database: installed with the first migration of the run, which commits them. */
  private installed = false;

  /** A keeper when roles are set up on this database (persistor.roles exists), else undefined. */
  static async forRun(db: Queryable): Promise<RoleKeeper | undefined> {
    return (await rolesConfigured(db)) ? new RoleKeeper() : undefined;
  }

  /** In `tx`, the migration's own transaction, after its SQL: a failure names the migration. */
  async after(tx: Queryable, migration: Migration, options: { prefix?: string } = {}): Promise<RolesUpkeep> {
    try {
      return await this.keep(tx);
    } catch (error) {
      throw rolesFailure(migration, error, { ...options, applied: false });
    }
  }

  /** After a no-transaction migration: in a transaction of their own, right after it. */
  async afterUnguarded(session: Session, migration: Migration): Promise<RolesUpkeep> {
    try {
      return await session.transaction((tx) => this.keep(tx));
    } catch (error) {
      throw rolesFailure(migration, error, { applied: true });
    }
  }

  private async keep(tx: Queryable): Promise<RolesUpkeep> {
    const upkeep = await keepRolesApplied(tx, { install: !this.installed });
    this.installed = true;
    return upkeep === 'reapplied' ? 'reapplied' : 'unchanged';
  }
}

function rolesFailure(migration: Migration, error: unknown, options: { prefix?: string; applied: boolean }): PersistorError {
  const { message, details } = describeSqlError(error);
  const outcome = options.applied
    ? `${migration.script} itself was applied (it runs without a transaction); run \`ecliptix-persistor roles\` once the cause is fixed`
    : `rolled back together with ${migration.script}: nothing of it was applied`;
  return new PersistorError(
    'MIGRATION_FAILED',
    `${options.prefix ?? ''}re-applying the least-privilege roles after migration ${migration.script} failed${message}`,
    {
      details: [
        ...details,
        "the migrating user must be a superuser or a member of the owner role, which owns every object, persistor's role functions included (a database set up by an older version: run `ecliptix-persistor roles` once as its administrator)",
        outcome,
      ],
      cause: error,
    },
  );
}
