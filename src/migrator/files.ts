/**
 * Finds and parses migration files.
 *
 *   V<version>__<description>.sql  versioned: applied once, in numeric order
 *   R__<description>.sql           repeatable: re-applied when its checksum changes
 *
 * Versions are read as Flyway reads them: digits separated by `.` or `_`
 * (V1_1__x.sql and V1.1__x.sql are both version 1.1, V001__x.sql is 1),
 * compared numerically part by part, so a Flyway project's folder runs unchanged.
 *
 * Header directives (SQL comments, anywhere in the file):
 *   -- persistor:no-transaction          run outside a transaction (CREATE INDEX CONCURRENTLY)
 *   -- persistor:depends-on <description> apply after that repeatable migration
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PersistorError } from '../errors.js';

/** `versioned` (V<version>__x.sql): applied once, in version order; `repeatable` (R__x.sql): re-applied whenever it changes. */
export type MigrationType = 'versioned' | 'repeatable';

/**
 * One migration file, parsed: what it is, its SQL and checksum, and its header directives.
 *
 * @example
 * ```ts
 * const [first] = await loadMigrations('migrations');
 * console.log(first.script, first.version, first.transactional);
 * ```
 */
export interface Migration {
  type: MigrationType;
  /** Normalised version ("1", "2.1") for versioned migrations. */
  version?: string;
  description: string;
  /** Path relative to the migrations folder, with forward slashes. */
  script: string;
  sql: string;
  checksum: string;
  transactional: boolean;
  /** Descriptions of repeatable migrations that must be applied first. */
  dependsOn: string[];
}

const VERSIONED = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const REPEATABLE = /^R__(.+)\.sql$/;
/** Flyway's other file kinds, named so that a Flyway folder gets a precise answer. */
const FLYWAY_UNDO = /^U\d+(?:[._]\d+)*__.+\.sql$/;
const FLYWAY_BASELINE = /^B\d+(?:[._]\d+)*__.+\.sql$/;
const FLYWAY_CALLBACK =
  /^(?:before|after)(?:Each)?(?:Migrate|Clean|Validate|Baseline|Repair|Info|Undo|Connect|Statement)(?:Error|Applied)?(?:__.+)?\.sql$/;
const DIRECTIVE = /^\s*--\s*persistor:([\w-]+)\s*(.*?)\s*$/gm;

/**
 * The checksum the journal records for a file: sha256 (hex) of its text, CRLF read as LF.
 *
 * @example
 * ```ts
 * checksumOf('SELECT 1;\r\n') === checksumOf('SELECT 1;\n'); // true
 * ```
 */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/**
 * A version as the journal keeps it: parts separated by `.` or `_` (as Flyway), leading zeros dropped.
 *
 * @example
 * ```ts
 * normaliseVersion('01_1'); // '1.1'
 * ```
 */
export function normaliseVersion(version: string): string {
  return version
    .split(/[._]/)
    .map((part) => String(Number.parseInt(part, 10)))
    .join('.');
}

/**
 * Whether `version` is one Flyway would read: digits, separated by `.` or `_`.
 *
 * @example
 * ```ts
 * isValidVersion('1.2'); // true
 * isValidVersion('1.x'); // false
 * ```
 */
export function isValidVersion(version: string): boolean {
  return /^\d+([._]\d+)*$/.test(version);
}

/** Equal versions (compareVersions 0: 1.0 is 1, as Flyway compares them) share one key. */
function versionKey(version: string): string {
  return version.replace(/(\.0+)+$/, '');
}

/**
 * How Flyway shows a description: its underscores as spaces.
 *
 * @example
 * ```ts
 * flywayDescription('create_accounts'); // 'create accounts'
 * ```
 */
export function flywayDescription(description: string): string {
  return description.replace(/_/g, ' ');
}

/**
 * Compares two normalised versions numerically, part by part (a missing part is 0, so 1.0 equals 1): negative, 0 or positive.
 *
 * @example
 * ```ts
 * ['10', '2', '1.1'].sort(compareVersions); // ['1.1', '2', '10']
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * Parses one file: undefined when its name is no migration's; throws on an unknown directive.
 *
 * @example
 * ```ts
 * parseMigration('V2__idx.sql', '-- persistor:no-transaction\nCREATE INDEX CONCURRENTLY …;'); // { version: '2', transactional: false, … }
 * ```
 */
export function parseMigration(script: string, sql: string): Migration | undefined {
  const fileName = script.split('/').pop() ?? script;
  const versioned = VERSIONED.exec(fileName);
  const repeatable = versioned ? null : REPEATABLE.exec(fileName);
  if (!versioned && !repeatable) return undefined;

  let transactional = true;
  const dependsOn: string[] = [];
  for (const [, name, argument] of sql.matchAll(DIRECTIVE)) {
    if (name === 'no-transaction') transactional = false;
    else if (name === 'depends-on' && argument) dependsOn.push(...argument.split(/[\s,]+/).filter(Boolean));
    else {
      throw new PersistorError(
        'MIGRATION_FILES_INVALID',
        `${script}: unknown directive "-- persistor:${name}" (known: no-transaction, depends-on <description>)`,
      );
    }
  }
  if (versioned && dependsOn.length > 0) {
    throw new PersistorError(
      'MIGRATION_FILES_INVALID',
      `${script}: depends-on is for repeatable migrations; versioned ones run in version order`,
    );
  }
  const base = { script, sql, checksum: checksumOf(sql), transactional, dependsOn };
  return versioned
    ? { ...base, type: 'versioned', version: normaliseVersion(versioned[1]!), description: versioned[2]! }
    : { ...base, type: 'repeatable', description: repeatable![1]! };
}

async function listSqlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.sql'))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/**
 * All migrations of a folder (recursively): versioned in version order, then
 * repeatables as found. Throws, listing every problem, on a file that is not
 * a migration or two files with one version or description.
 *
 * @example
 * ```ts
 * const migrations = await loadMigrations(shippedMigrationsDir);
 * ```
 */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  let scripts: string[];
  try {
    scripts = await listSqlFiles(dir);
  } catch (error) {
    throw new PersistorError('INVALID_ARGUMENT', `cannot read the migrations folder ${dir}: ${(error as Error).message}`);
  }
  const migrations: Migration[] = [];
  const problems: string[] = [];
  for (const script of scripts) {
    const name = script.split('/').pop()!;
    // Flyway's undo migrations: Flyway's own migrate never runs them, and neither does this one.
    if (FLYWAY_UNDO.test(name)) continue;
    const migration = parseMigration(script, await readFile(join(dir, script), 'utf8'));
    if (migration) migrations.push(migration);
    else if (FLYWAY_CALLBACK.test(name)) {
      problems.push(
        `${script}: a Flyway callback, which this migrator does not run; move it out of the migrations folder, or make its SQL a V or R migration`,
      );
    } else if (FLYWAY_BASELINE.test(name)) {
      problems.push(
        `${script}: a Flyway baseline migration, which this migrator does not use; adopt the database with \`baseline --from-flyway\` and move the file out`,
      );
    } else
      problems.push(
        `${script}: not a migration name (expected V<version>__<description>.sql, the version digits separated by . or _, or R__<description>.sql)`,
      );
  }
  const seen = new Map<string, string>();
  for (const migration of migrations) {
    const key = migration.type === 'versioned' ? `version ${versionKey(migration.version!)}` : `repeatable ${migration.description}`;
    const earlier = seen.get(key);
    if (earlier) problems.push(`${migration.script}: ${key} is also defined by ${earlier}`);
    seen.set(key, migration.script);
  }
  if (problems.length > 0) {
    throw new PersistorError('MIGRATION_FILES_INVALID', `invalid migrations in ${dir}`, { details: problems });
  }
  const versioned = migrations.filter((m) => m.type === 'versioned').sort((a, b) => compareVersions(a.version!, b.version!));
  return [...versioned, ...migrations.filter((m) => m.type === 'repeatable')];
}
