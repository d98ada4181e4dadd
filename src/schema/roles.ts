/**
 * Least privilege: an owner that runs migrations and owns every object, an
 * application role that may only EXECUTE the APPLICATION_ROUTINES (manifest.ts: the seed's 17 and the user actions), and a read-only
 * reporting role for `status`. The grants live in sql/roles/apply-roles.sql.
 */
import type { Queryable } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { sqlFile } from '../sql-files.js';

/** The names of the three roles `roles` sets up. */
export interface RoleNames {
  owner: string;
  app: string;
  reporting: string;
}

/**
 * The role names used unless `roles` is given others.
 *
 * @example
 * ```ts
 * await applyRoles(db, checkRoleNames({ ...DEFAULT_ROLE_NAMES, app: 'memberships_api' }));
 * ```
 */
export const DEFAULT_ROLE_NAMES: RoleNames = { owner: 'ecliptix_owner', app: 'ecliptix_app', reporting: 'ecliptix_reporting' };

/** What one of the roles may do in schema `ecliptix`, read from the catalog (`status`). */
export interface RolePrivileges {
  purpose: 'owner' | 'app' | 'reporting';
  roleName: string;
  /** ecliptix tables on which the role has any of SELECT/INSERT/UPDATE/DELETE/TRUNCATE. */
  tablesWithPrivileges: number;
  /** ecliptix routines the role may EXECUTE. */
  executableRoutines: number;
  /** Whether it may read memberships.secure_key. */
  readsSecureKey: boolean;
  /** Whether it may CREATE in schema ecliptix. */
  createsInEcliptix: boolean;
}

const ROLE_NAME = /^[a-z_][a-z0-9_$]{0,62}$/;

/**
 * Returns `names` when each is a plain lower-case identifier and the three differ; throws INVALID_ARGUMENT otherwise.
 *
 * @example
 * ```ts
 * checkRoleNames({ owner: 'o', app: 'a', reporting: 'r' });
 * ```
 */
export function checkRoleNames(names: RoleNames): RoleNames {
  for (const [purpose, name] of Object.entries(names)) {
    if (!ROLE_NAME.test(name)) {
      throw new PersistorError(
        'INVALID_ARGUMENT',
        `--${purpose} role name "${name}" must be a lower-case identifier (letters, digits, _ and $; at most 63)`,
      );
    }
  }
  if (new Set(Object.values(names)).size !== 3)
    throw new PersistorError('INVALID_ARGUMENT', 'the owner, application and reporting roles must be three different roles');
  return names;
}

/**
 * Whether `roles` was run on this database (persistor.roles exists).
 *
 * @example
 * ```ts
 * if (await rolesConfigured(db)) await reapplyRoles(db);
 * ```
 */
export async function rolesConfigured(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ configured: boolean }>(sqlFile('roles/roles-exist.sql'));
  return rows[0]?.configured === true;
}

/**
 * Creates the roles when missing and (re)applies every ownership and grant, in one transaction.
 *
 * @example
 * ```ts
 * await applyRoles(db, { ...DEFAULT_ROLE_NAMES, app: 'memberships_api' })
 * ```
 */
export async function applyRoles(db: Queryable, names: RoleNames): Promise<void> {
  checkRoleNames(names);
  await db.exec(sqlFile('roles/apply-roles.sql'));
  await db.query(sqlFile('roles/apply.sql'), [names.owner, names.app, names.reporting]);
}

/** The role names `roles` recorded on this database; undefined when it was never run. */
async function configuredRoleNames(db: Queryable): Promise<RoleNames | undefined> {
  if (!(await rolesConfigured(db))) return undefined;
  const { rows } = await db.query<{ purpose: keyof RoleNames; role_name: string }>(sqlFile('roles/configured-roles.sql'));
  const name = (purpose: keyof RoleNames) => rows.find((r) => r.purpose === purpose)?.role_name;
  const owner = name('owner');
  const app = name('app');
  const reporting = name('reporting');
  return owner && app && reporting ? { owner, app, reporting } : undefined;
}

/**
 * Re-applies the recorded roles: ownership of every object and the grants, so
 * that a re-created function (owned by whoever created it, granted to nobody)
 * is the owner's again and executable by the application. Run it in the same
 * transaction as the change, and no other session ever sees the object
 * without them. False when roles were never set up.
 */
export async function reapplyRoles(db: Queryable): Promise<boolean> {
  const names = await configuredRoleNames(db);
  if (!names) return false;
  await applyRoles(db, names);
  return true;
}

/**
 * For the migrator, inside each migration's transaction: re-applies the
 * recorded roles when anything they cover changed since the last apply (a
 * routine dropped and re-created, a new table, a privilege changed by hand),
 * and only then — persistor.keep_roles() compares a digest of the catalog
 * state with the one the last apply left. 'unchanged' when that still holds.
 */
export async function keepRolesApplied(
  db: Queryable,
  options: { install?: boolean } = {},
): Promise<'not-configured' | 'unchanged' | 'reapplied'> {
  if (!(await rolesConfigured(db))) return 'not-configured';
  // This version's definitions (the database may hold an older tool's); `install: false` when this session already did.
  if (options.install !== false) await db.exec(sqlFile('roles/apply-roles.sql'));
  const { rows } = await db.query<{ reapplied: boolean }>(sqlFile('roles/keep.sql'));
  return rows[0]?.reapplied ? 'reapplied' : 'unchanged';
}

/**
 * What each configured role may do, one entry per role; none when `roles` was never run.
 *
 * @example
 * ```ts
 * const app = (await readRolePrivileges(db)).find((r) => r.purpose === 'app');
 * ```
 */
export async function readRolePrivileges(db: Queryable): Promise<RolePrivileges[]> {
  if (!(await rolesConfigured(db))) return [];
  const { rows } = await db.query<{
    purpose: RolePrivileges['purpose'];
    role_name: string;
    tables_with_privileges: number;
    executable_routines: number;
    reads_secure_key: boolean;
    creates_in_ecliptix: boolean;
  }>(sqlFile('roles/privileges.sql'));
  return rows.map((r) => ({
    purpose: r.purpose,
    roleName: r.role_name,
    tablesWithPrivileges: r.tables_with_privileges,
    executableRoutines: r.executable_routines,
    readsSecureKey: r.reads_secure_key,
    createsInEcliptix: r.creates_in_ecliptix,
  }));
}
