/** Which of the manifest's objects (OBJECT_COUNT) a database has, per kind: expected vs present. */
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../sql-files.js';
import { MANIFEST, OBJECT_KINDS, type ManifestObject, type ObjectKind } from './manifest.js';

export interface ObjectState extends ManifestObject {
  present: boolean;
  /** Triggers can be disabled; everything else is enabled when present. */
  enabled: boolean;
}

export interface KindSummary {
  kind: ObjectKind;
  expected: number;
  present: number;
}

export interface ObjectsReport {
  objects: ObjectState[];
  byKind: KindSummary[];
  /** Objects in schema ecliptix that the manifest does not know (name and kind). */
  unexpected: { name: string; kind: string }[];
  complete: boolean;
}

interface PresentRow {
  name: string;
  /** What the object really is: table, function, trigger — or view, procedure (CREATE PROCEDURE)… */
  kind: string;
  table_name: string | null;
  enabled: boolean;
}

export async function inspectObjects(db: Queryable): Promise<ObjectsReport> {
  const { rows } = await db.query<PresentRow>(sqlFile('operations/object-kinds.sql'));
  const key = (kind: string, name: string) => `${kind === 'function' || kind === 'procedure' ? 'routine' : kind}:${name}`;
  const present = new Map(rows.map((row) => [key(row.kind, row.name), row]));
  const objects = MANIFEST.map((object) => {
    const row = present.get(key(object.kind, object.name));
    return { ...object, present: row !== undefined, enabled: row?.enabled ?? false };
  });
  const known = new Set(MANIFEST.map((object) => key(object.kind, object.name)));
  const unexpected = rows.filter((row) => !known.has(key(row.kind, row.name))).map((row) => ({ name: row.name, kind: row.kind }));
  const byKind = OBJECT_KINDS.map((kind) => ({
    kind,
    expected: objects.filter((o) => o.kind === kind).length,
    present: objects.filter((o) => o.kind === kind && o.present).length,
  }));
  return { objects, byKind, unexpected, complete: objects.every((o) => o.present && o.enabled) && unexpected.length === 0 };
}
