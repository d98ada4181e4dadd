/** What a database holds, to compare before and after an operation that must change nothing. */
import type { Queryable } from '../../src/db/database.js';

export async function journalRows(
  db: Queryable,
): Promise<{ version: string | null; description: string; type: string; checksum: string; success: boolean }[]> {
  const { rows } = await db.query<{ exists: boolean }>("SELECT to_regclass('persistor.schema_history') IS NOT NULL AS exists");
  if (!rows[0]?.exists) return [];
  return (
    await db.query<{ version: string | null; description: string; type: string; checksum: string; success: boolean }>(
      'SELECT version, description, type, checksum, success FROM persistor.schema_history ORDER BY installed_rank',
    )
  ).rows;
}

/** Every user relation, routine and schema (name and kind). */
export async function catalogSnapshot(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ item: string }>(`
    SELECT 'schema ' || nspname AS item FROM pg_namespace
     WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'public')
    UNION ALL
    SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
    UNION ALL
    SELECT 'routine ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
    ORDER BY 1`);
  return rows.map((r) => r.item);
}
