/** `roles`: set up the owner, application and reporting roles (least privilege), idempotently. */
import {
  applyRoles,
  checkRoleNames,
  DEFAULT_ROLE_NAMES,
  readRolePrivileges,
  type RoleNames,
  type RolePrivileges,
} from '../schema/roles.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

/**
 * Creates (when missing) and grants the owner, application and reporting
 * roles, least privilege, idempotently; returns what each role may do.
 * `migrate` keeps them applied afterwards.
 *
 * @example
 * ```ts
 * import { roles } from 'ecliptix-persistor'
 *
 * const privileges = await roles({ databaseUrl: process.env.DATABASE_URL, app: 'memberships_app' })
 * ```
 */
export function roles(options: PersistorOptions & Partial<RoleNames> = {}): Promise<RolePrivileges[]> {
  const { owner, app, reporting, ...rest } = options;
  const names = checkRoleNames({
    owner: owner ?? DEFAULT_ROLE_NAMES.owner,
    app: app ?? DEFAULT_ROLE_NAMES.app,
    reporting: reporting ?? DEFAULT_ROLE_NAMES.reporting,
  });
  return withRuntime(rest, async ({ db }) => {
    await db.transaction((tx) => applyRoles(tx, names));
    return readRolePrivileges(db);
  });
}
