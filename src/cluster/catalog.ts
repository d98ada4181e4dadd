/** The routines as a partition's catalog describes them: what the proxy's routines are generated from. */
import type { Queryable } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { MANIFEST } from '../schema/manifest.js';
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
const MANIFEST_ROUTINES: readonly string[] = MANIFEST.filter((o) => o.kind === 'function' || o.kind === 'procedure').map((o) => o.name);

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
export async function readRoutines(db: Queryable, names: readonly string[] = MANIFEST_ROUTINES): Promise<RoutineSignature[]> {
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
