/**
 * Adopting a database that Flyway managed: reads its `flyway_schema_history`
 * (installed_rank, version, description, type, script, checksum, success) and
 * works out what `baseline --from-flyway` records.
 *
 *  - refused: failed rows (success false), undo/delete rows, versions Flyway
 *    applied that are not among the files, and files at or below Flyway's
 *    highest version that Flyway never applied (it would call them ignored);
 *  - versioned: every file up to the highest successful Flyway version is
 *    recorded as `baseline`;
 *  - repeatable: recorded as applied (with this tool's checksum) only when
 *    Flyway's last successful run of it has the checksum Flyway computes for
 *    the file now (it has not changed since); otherwise left pending, so
 *    `migrate` re-applies it, as Flyway would.
 */
import { crc32 } from 'node:zlib';
import type { Queryable } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { sqlFile } from '../sql-files.js';
import { compareVersions, flywayDescription, isValidVersion, normaliseVersion, type Migration } from './files.js';

/** The history table Flyway writes unless configured otherwise (`baseline --from-flyway` reads it by default). */
export const DEFAULT_FLYWAY_TABLE = 'flyway_schema_history';

/** One row of Flyway's history table, as {@link readFlywayHistory} returns it. */
export interface FlywayRow {
  installedRank: number;
  version: string | null;
  description: string;
  type: string;
  script: string;
  checksum: number | null;
  success: boolean;
}

/**
 * What `baseline --from-flyway` records, worked out by {@link planFlywayAdoption}.
 *
 * @example
 * ```ts
 * const adoption = await new Migrator({ db, migrationsDir, lockTimeoutMs: 10_000 }).baselineFromFlyway();
 * console.log(`baseline at version ${adoption.version} (from Flyway's ${adoption.table})`);
 * ```
 */
export interface FlywayAdoption {
  /** The Flyway table read, schema-qualified. */
  table: string;
  /** The highest version Flyway applied successfully. */
  version: string;
  versioned: Migration[];
  /** Repeatables unchanged since Flyway last ran them. */
  repeatables: Migration[];
  /** Repeatables left pending (changed since, or never run by Flyway). */
  repeatablesPending: Migration[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
/** Row types Flyway writes for what it applied; the others are refused or skipped. */
const APPLIED_TYPES = new Set(['SQL', 'JDBC', 'SPRING_JDBC', 'SCRIPT', 'CUSTOM']);

/**
 * Reads `--flyway-table`: `table` or `schema.table`, plain (unquoted) identifiers; throws on anything else.
 *
 * @example
 * ```ts
 * parseFlywayTable('flyway.flyway_schema_history'); // { schema: 'flyway', table: 'flyway_schema_history' }
 * ```
 */
export function parseFlywayTable(name: string): { schema: string | null; table: string } {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `invalid --flyway-table "${name}": expected <schema>.<table> (or <table>), plain identifiers`,
    );
  }
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { schema: null, table: parts[0]! };
}

interface RawRow {
  installed_rank: number;
  version: string | null;
  description: string;
  type: string;
  script: string;
  checksum: number | null;
  success: boolean;
}

/**
 * Finds Flyway's history table (`name`, schema-qualified or looked up on the search path) and reads its rows, oldest first.
 *
 * @example
 * ```ts
 * const { table, rows } = await readFlywayHistory(db, DEFAULT_FLYWAY_TABLE);
 * ```
 */
export async function readFlywayHistory(db: Queryable, name: string): Promise<{ table: string; rows: FlywayRow[] }> {
  const { schema, table } = parseFlywayTable(name);
  const found = await db.query<{ schema_name: string; table_name: string; select_sql: string }>(
    sqlFile('persistor/find-flyway-table.sql'),
    [schema, table],
  );
  const location = found.rows[0];
  if (!location) {
    const where = schema === null ? 'in the search path' : `in schema ${schema}`;
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `cannot baseline from Flyway: no table ${table} ${where} (name it with --flyway-table <schema>.<table>)`,
    );
  }
  const { rows } = await db.query<RawRow>(location.select_sql);
  return {
    table: `${location.schema_name}.${location.table_name}`,
    rows: rows.map((row) => ({
      installedRank: Number(row.installed_rank),
      version: row.version,
      description: row.description,
      type: row.type,
      script: row.script,
      checksum: row.checksum === null ? null : Number(row.checksum),
      success: row.success,
    })),
  };
}

/**
 * The checksum Flyway records for a SQL file: CRC32 of its lines' UTF-8 bytes, line ends left out, as a signed int.
 *
 * @example
 * ```ts
 * flywayChecksum('SELECT 1;\n') === flywayChecksum('SELECT 1;\r\n'); // true
 * ```
 */
export function flywayChecksum(sql: string): number {
  let crc = 0;
  const lines = sql.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (const line of lines) crc = crc32(line, crc);
  return crc | 0;
}

/**
 * Matches Flyway's history rows against the migration files (see the rules
 * above); throws, listing every problem, when Flyway's state cannot be adopted.
 *
 * @example
 * ```ts
 * const { table, rows } = await readFlywayHistory(db, DEFAULT_FLYWAY_TABLE);
 * const adoption = planFlywayAdoption(table, rows, await loadMigrations('migrations'));
 * ```
 */
export function planFlywayAdoption(table: string, rows: readonly FlywayRow[], migrations: readonly Migration[]): FlywayAdoption {
  const problems: string[] = [];
  const row = (r: FlywayRow) =>
    `${table} installed_rank ${r.installedRank} (${r.version === null ? '' : `version ${r.version}, `}${r.script})`;
  for (const r of rows) {
    if (!r.success) problems.push(`${row(r)}: failed in Flyway (success false); repair it with Flyway first`);
    else if (r.type.startsWith('UNDO') || r.type === 'DELETE') problems.push(`${row(r)}: type ${r.type} is not supported`);
  }
  const versionedFiles = migrations.filter((m) => m.type === 'versioned');
  const applied = rows.filter((r) => r.success && r.version !== null && (APPLIED_TYPES.has(r.type) || r.type === 'BASELINE'));
  let highest: string | undefined;
  const flywayVersions = new Set<string>();
  let flywayBaseline: string | undefined;
  for (const r of applied) {
    if (!isValidVersion(r.version!)) {
      problems.push(`${row(r)}: version "${r.version}" is not a version this tool reads`);
      continue;
    }
    const version = normaliseVersion(r.version!);
    if (highest === undefined || compareVersions(version, highest) > 0) highest = version;
    if (r.type === 'BASELINE') {
      if (flywayBaseline === undefined || compareVersions(version, flywayBaseline) > 0) flywayBaseline = version;
      continue;
    }
    flywayVersions.add(version);
    if (!versionedFiles.some((m) => compareVersions(m.version!, version) === 0)) {
      problems.push(`${row(r)}: Flyway applied version ${version}, but no migration file has that version`);
    }
  }
  if (highest === undefined && problems.length === 0) {
    throw new PersistorError('VALIDATION_FAILED', `cannot baseline from Flyway: ${table} records no successful versioned migration`);
  }
  const versioned = highest === undefined ? [] : versionedFiles.filter((m) => compareVersions(m.version!, highest!) <= 0);
  for (const m of versioned) {
    const belowBaseline = flywayBaseline !== undefined && compareVersions(m.version!, flywayBaseline) <= 0;
    if (!belowBaseline && ![...flywayVersions].some((v) => compareVersions(v, m.version!) === 0)) {
      problems.push(`${m.script}: version ${m.version} is below Flyway's highest (${highest}) but Flyway never applied it`);
    }
  }
  if (problems.length > 0) {
    throw new PersistorError('VALIDATION_FAILED', `cannot baseline from Flyway: ${problems.length} problem(s) in ${table}`, {
      details: problems,
    });
  }

  // The latest successful run of each repeatable, by its description as Flyway writes it.
  const latestRepeatable = new Map<string, FlywayRow>();
  for (const r of rows) if (r.success && r.version === null && APPLIED_TYPES.has(r.type)) latestRepeatable.set(r.description, r);
  const repeatables: Migration[] = [];
  const repeatablesPending: Migration[] = [];
  for (const m of migrations.filter((m) => m.type === 'repeatable')) {
    const r = latestRepeatable.get(flywayDescription(m.description));
    if (r && r.checksum === flywayChecksum(m.sql)) repeatables.push(m);
    else repeatablesPending.push(m);
  }
  return { table, version: highest!, versioned, repeatables, repeatablesPending };
}
