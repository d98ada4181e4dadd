/** The routines as a partition's catalog describes them: what the proxy's routines are generated from. */
import type { Queryable } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { APPLICATION_ROUTINES } from '../schema/manifest.js';
import { rolesConfigured } from '../schema/roles.js';
import { sqlFile } from '../sql-files.js';

export interface RoutineSignature {
  name: string;
  /** pg_get_function_arguments: names, types and defaults, as CREATE FUNCTION takes them. */
  arguments: string;
  /** pg_get_function_identity_arguments: names and types, without defaults. */
  identityArguments: string;
  /** pg_get_function_result, e.g. `TABLE(outcome text, phone_unique_id uuid)`. */
  result: string;
  returnsSet: boolean;
  argumentNames: string[];
  argumentTypes: string[];
}

/** The manifest's routines (functions and procedures, all PostgreSQL functions). */

interface RoutineRow {
  name: string;
  arguments: string;
  identity_arguments: string;
  result: string;
  returns_set: boolean;
  argument_names: string[];
  argument_types: string[];
}

/** Reads every manifest routine from a migrated partition; a routine missing there is an error naming it. */
async function readRoutines(db: Queryable, names: readonly string[] = APPLICATION_ROUTINES): Promise<RoutineSignature[]> {
  const { rows } = await db.query<RoutineRow>(sqlFile('cluster/read-routines.sql'), [names]);
  const missing = names.filter((name) => !rows.some((row) => row.name === name));
  if (missing.length > 0) {
    throw new PersistorError('VALIDATION_FAILED', `partition 0 lacks the routine(s) ${missing.map((n) => `ecliptix.${n}`).join(', ')}`);
  }
  return rows.map((row) => ({
    name: row.name,
    arguments: row.arguments,
    identityArguments: row.identity_arguments,
    result: row.result,
    returnsSet: row.returns_set,
    argumentNames: row.argument_names,
    argumentTypes: row.argument_types,
  }));
}

/** The columns a copy of a device's row carries (sql/cluster/read-device-columns.sql), read from a migrated partition. */
async function readDeviceColumns(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(sqlFile('cluster/read-device-columns.sql'));
  if (!rows.some((row) => row.name === 'unique_id')) {
    throw new PersistorError('VALIDATION_FAILED', 'partition 0 has no ecliptix.app_devices.unique_id column to copy devices by');
  }
  return rows.map((row) => row.name);
}

/** The roles `roles` set up on the partitions (owner and application), when it was run there. */
export interface ClusterRoles {
  owner: string;
  app: string;
}

/** The owner and application roles `roles` recorded on a partition, if it was run there. */
async function readClusterRoles(db: Queryable): Promise<ClusterRoles | undefined> {
  if (!(await rolesConfigured(db))) return undefined;
  const { rows } = await db.query<{ purpose: string; role_name: string }>(sqlFile('roles/configured-roles.sql'));
  const owner = rows.find((row) => row.purpose === 'owner')?.role_name;
  const app = rows.find((row) => row.purpose === 'app')?.role_name;
  return owner && app ? { owner, app } : undefined;
}

/** What a cluster's generated parts are generated from, as a migrated partition 0 describes it. */
export interface ClusterCatalog {
  routines: RoutineSignature[];
  /** The columns a copy of a device's row carries. */
  deviceColumns: string[];
  roles: ClusterRoles | undefined;
}

/** Reads the routines, the device table's columns and the roles from a migrated partition (partition 0). */
export async function readCatalog(db: Queryable): Promise<ClusterCatalog> {
  return { routines: await readRoutines(db), deviceColumns: await readDeviceColumns(db), roles: await readClusterRoles(db) };
}
