/**
 * `import`: brings an EcliptixMemberships database over from SQL Server, all
 * or nothing — from a staging schema pgloader filled (`--schema`, default
 * ecliptix_import) or from exported files (`--files <dir>`: bcp character
 * format or CSV) — into a freshly migrated database (or, with `--merge`, one
 * that holds data), keeping every member able to sign in with their key.
 * `--dry-run` does everything and rolls it back.
 */
import { statSync } from 'node:fs';
import { DATA_KEYS_ENV, type Keyring } from '../client/keyring.js';
import { resolveDataKeys } from './data-keys.js';
import { PersistorError } from '../errors.js';
import type { ImportReport } from '../operations/import/report.js';
import type { ImportSource } from '../operations/import/run.js';
import { resolveConfig, withRuntime, type PersistorOptions } from './runtime.js';

/** The import's report, its problems (table, row or line, column) and per-table counts and notes. */
export type { ImportReport, ImportProblem, ImportTableReport, ImportNote } from '../operations/import/report.js';

/** Options of {@link importDatabase}: the target database, the source, the data keyring, and how the import runs. */
export interface ImportCommandOptions extends PersistorOptions {
  /** A staging schema pgloader filled (default ecliptix_import), or a directory of exported files (one per table). */
  source?: ImportSource;
  /** The data keyring, current key first (default ECLIPTIX_DATA_KEYS; embedded and opened here: its development keys). Required with `db` unless ECLIPTIX_DATA_KEYS is set. */
  dataKeys?: Keyring | string;
  /** Do everything, report, and roll it all back; an embedded database that does not exist is not created. */
  dryRun?: boolean;
  /** Import into a database that already holds data: numbers and devices it has become theirs. */
  merge?: boolean;
  /** Keep the staging schema afterwards (it holds the original's plaintext secure keys; dropped by default). */
  keepStaging?: boolean;
  /** Where ECLIPTIX_DATA_KEYS is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Told when the embedded database's development keys are used. */
  onDevelopmentKeys?: (file: string) => void;
  /** Told as each step of the import starts. */
  onStep?: (step: string) => void;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * Imports the original SQL Server database's tables into `ecliptix` in one
 * transaction, keeping every UniqueId and encrypting each member's secure key
 * under the current data key. Returns the report; `status` is `invalid` (with
 * `problems`) when the input is wrong, and then nothing was written. The
 * import's modules are loaded on the first call.
 *
 * @example
 * ```ts
 * import { importDatabase } from 'ecliptix-persistor'
 *
 * const report = await importDatabase({ databaseUrl: process.env.DATABASE_URL, source: { directory: './export' }, dryRun: true })
 * if (report.status === 'invalid') console.error(report.problems)
 * ```
 */
export async function importDatabase(options: ImportCommandOptions = {}): Promise<ImportReport> {
  // Loaded when called: the import's modules (csv-parse among them) are not part of the API's start-up.
  const { DEFAULT_STAGING_SCHEMA, assertStagingSchema, runImport } = await import('../operations/import/run.js');
  const {
    source = { schema: DEFAULT_STAGING_SCHEMA },
    dataKeys,
    dryRun,
    merge,
    keepStaging,
    env,
    onDevelopmentKeys,
    onStep,
    ...rest
  } = options;
  if ('schema' in source && !SCHEMA_NAME.test(source.schema))
    throw new PersistorError('INVALID_ARGUMENT', `--schema must be a schema name (letters, digits, _; got "${source.schema}")`);
  if ('schema' in source) assertStagingSchema(source.schema);
  if ('directory' in source) {
    const stats = statSync(source.directory, { throwIfNoEntry: false });
    if (!stats?.isDirectory()) {
      throw new PersistorError(
        'INVALID_ARGUMENT',
        `--files ${source.directory}: ${stats ? 'not a directory' : 'no such directory'} (give the directory holding one exported file per table)`,
      );
    }
  }
  const config = resolveConfig(rest);
  // A database the caller opened: its clients' keys are not known here (the default data directory's development keys
  // may belong to another database), so they must be given. Opened here: embedded, its development keys (made when missing).
  const embeddedHere = !rest.db && !config.databaseUrl;
  const keyringFor = (): Keyring =>
    resolveDataKeys(
      { ...(dataKeys === undefined ? {} : { dataKeys }), ...(env ? { env } : {}), ...(onDevelopmentKeys ? { onDevelopmentKeys } : {}) },
      {
        keys: embeddedHere ? 'create' : 'none',
        dataDir: config.dataDir,
        ...(rest.db
          ? {
              missing: `importing into a database you opened (db) needs the data keyring its clients use: pass dataKeys (or set ${DATA_KEYS_ENV}); no development keys are made or read for it`,
            }
          : {}),
      },
    );
  // A dry run creates nothing: not an embedded database (mustExist: exit 3 naming the directory), nor the development keys
  // beside one that is not there — so on an embedded database its keys are read once it is open. Otherwise keys fail first.
  const early = dryRun === true && embeddedHere ? undefined : keyringFor();
  return withRuntime(
    rest,
    ({ db, migrationsDir }) =>
      runImport(db, {
        source,
        dataKeys: early ?? keyringFor(),
        migrationsDir,
        lockTimeoutMs: config.lockTimeoutMs,
        ...(dryRun === undefined ? {} : { dryRun }),
        ...(merge === undefined ? {} : { merge }),
        ...(keepStaging === undefined ? {} : { keepStaging }),
        ...(onStep ? { onStep } : {}),
      }),
    { mustExist: dryRun === true },
  );
}
