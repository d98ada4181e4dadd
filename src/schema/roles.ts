/**
 * Least privilege: an owner that runs migrations and owns every object, an
 * application role that may only EXECUTE the 17 routines, and a read-only
 * reporting role for `status`. The grants live in sql/roles/apply-roles.sql.
 */
import type { Queryable } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { sqlFile } from '../sql-files.js';

export interface RoleNames {
  owner: string;
  app: string;
  reporting: string;
}

export const DEFAULT_ROLE_NAMES: RoleNames = { owner: 'ecliptix_owner', app: 'ecliptix_app', reporting: 'ecliptix_reporting' };

export interface RolePrivileges {
  purpose: 'owner' | 'app' | 'reporting';
  roleName: string;
  /** ecliptix tables on which the role has any of SELECT/INSERT/UPDATE/DELETE/TRUNCATE. */
  tablesWithPrivileges: number;
  executableRoutines: number;
  readsSecureKey: boolean;
  createsInEcliptix: boolean;
}

const ROLE_NAME = /^[a-z_][a-z0-9_$]{0,62}$/;

export function checkRoleNames(names: RoleNames): RoleNames {
  for (const [purpose, name] of Object.entries(names)) {
    if (!ROLE_NAME.test(name)) {
      throw new PersistorError('INVALID_ARGUMENT', `--${purpose} role name "${name}" must be a lower-case identifier (letters, digits, _ and $; at most 63)`);
    }
  }
  if (new Set(Object.values(names)).size !== 3) throw new PersistorError('INVALID_ARGUMENT', 'the owner, application and reporting roles must be three different roles');
  return names;
}

export async function rolesConfigured(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ configured: boolean }>(sqlFile('roles/roles-exist.sql'));
  return rows[0]?.configured === true;
}

/** Creates the roles when missing and (re)applies every ownership and grant, in one transaction. */
export async function applyRoles(db: Queryable, names: RoleNames): Promise<void> {
  checkRoleNames(names);
  await db.exec(sqlFile('roles/apply-roles.sql'));
  await db.query(sqlFile('roles/apply.sql'), [names.owner, names.app, names.reporting]);
}

/** Re-applies the recorded roles (after a migration re-created objects); false when roles were never set up. */
export async function reapplyRoles(db: Queryable): Promise<boolean> {
  const roles = await readRolePrivileges(db);
  if (roles.length === 0) return false;
  const name = (purpose: string) => roles.find((r) => r.purpose === purpose)!.roleName;
  await applyRoles(db, { owner: name('owner'), app: name('app'), reporting: name('reporting') });
  return true;
}

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
