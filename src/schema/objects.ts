/**
 * The one inspection of which of the manifest's objects (OBJECT_COUNT in all)
 * a database has: each present only when it is of the expected kind (a trigger:
 * on its table), and what is there instead when it is not. `status` reports
 * it per kind; `verify` builds its first two criteria on it.
 */
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../sql-files.js';
import { ADDED_OBJECTS, MANIFEST, OBJECT_KINDS, type ManifestObject, type ObjectKind } from './manifest.js';

/** One manifest object as found in the database. */
export interface ObjectState extends ManifestObject {
  /** There, of the expected kind (see {@link expectedKind}), and — a trigger — on its table. */
  present: boolean;
  /** What is there under this name when it is not of the expected kind: `view`, `procedure (CREATE PROCEDURE)`, `trigger on table x`… */
  actualKind?: string;
  /** Triggers can be disabled; everything else is enabled when present. */
  enabled: boolean;
}

/** Per kind of the manifest: how many objects it expects and how many are present. */
export interface KindSummary {
  kind: ObjectKind;
  expected: number;
  present: number;
}

/** What {@link inspectObjects} found. */
export interface ObjectsReport {
  /** Every manifest object, in manifest order. */
  objects: ObjectState[];
  /** The objects beside the seed's ({@link ADDED_OBJECTS}), listed apart. */
  added: ObjectState[];
  byKind: KindSummary[];
  /** What is in schema ecliptix but is no manifest object (name and kind): unknown names, and objects of the wrong kind. */
  unexpected: { name: string; kind: string }[];
  /** Every object (the seed's and those beside them) present and enabled, and nothing unexpected. */
  complete: boolean;
}

interface PresentRow {
  name: string;
  /** What the object really is: table, function, trigger — or view, procedure (CREATE PROCEDURE)… */
  kind: string;
  table_name: string | null;
  enabled: boolean;
}

/**
 * The PostgreSQL kind a manifest object must have: the seed's procedures are PostgreSQL functions.
 *
 * @example
 * ```ts
 * expectedKind({ name: 'login_membership', kind: 'procedure', original: 'LoginMembership' }); // 'function'
 * ```
 */
export function expectedKind(object: ManifestObject): 'table' | 'function' | 'trigger' {
  return object.kind === 'procedure' ? 'function' : object.kind;
}

function describeRow(row: PresentRow): string {
  return row.table_name ? `${row.kind} on table ${row.table_name}` : row.kind;
}

/**
 * Reads schema `ecliptix` once (sql/operations/object-kinds.sql) and matches it against the manifest.
 *
 * @example
 * ```ts
 * const report = await inspectObjects(db);
 * for (const object of report.objects.filter((o) => !o.present)) console.log(`missing: ${object.kind} ${object.name}`);
 * ```
 */
export async function inspectObjects(db: Queryable): Promise<ObjectsReport> {
  const { rows } = await db.query<PresentRow>(sqlFile('operations/object-kinds.sql'));
  const matched = new Set<PresentRow>();
  const find = (object: ManifestObject): ObjectState => {
    const named = rows.filter((row) => row.name === object.name);
    const match = named.find((row) => row.kind === expectedKind(object) && (object.table === undefined || row.table_name === object.table));
    if (match) matched.add(match);
    const other = match ? undefined : named[0];
    return {
      ...object,
      present: match !== undefined,
      ...(other ? { actualKind: describeRow(other) } : {}),
      enabled: match?.enabled ?? false,
    };
  };
  const objects = MANIFEST.map(find);
  const added = ADDED_OBJECTS.map(find);
  const unexpected = rows.filter((row) => !matched.has(row)).map((row) => ({ name: row.name, kind: row.kind }));
  const byKind = OBJECT_KINDS.map((kind) => ({
    kind,
    expected: objects.filter((o) => o.kind === kind).length,
    present: objects.filter((o) => o.kind === kind && o.present).length,
  }));
  const complete = [...objects, ...added].every((o) => o.present && o.enabled) && unexpected.length === 0;
  return { objects, added, byKind, unexpected, complete };
}
