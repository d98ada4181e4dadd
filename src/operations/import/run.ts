/**
 * The import of an EcliptixMemberships database from SQL Server, all or
 * nothing: in one transaction, the original's tables are staged (from a
 * staging schema pgloader filled, or from exported files with COPY) into
 * temporary tables, validated — nothing is written while anything is wrong —
 * and mapped into `ecliptix`, keeping every UniqueId: one phone per E.164
 * number, phone ids re-pointed, secure keys encrypted under the current data
 * key as they are written, codes and pending flows carried as history only,
 * lockouts typed. A dry run does all of it and rolls back.
 */
import { performance } from 'node:perf_hooks';
import type { Database, Queryable } from '../../db/database.js';
import { PersistorError, messageOf } from '../../errors.js';
import type { Keyring } from '../../client/keyring.js';
import { encryptSecureKey } from '../../client/secure-key.js';
import { Migrator } from '../../migrator/migrator.js';
import { sqlFile } from '../../sql-files.js';
import { findTableFiles, loadTableFile, type FileFormat } from './files.js';
import type { ImportNote, ImportNoteKind, ImportProblem, ImportReport, ImportTableReport } from './report.js';
import { ACCEPTED_TYPES, KIND_NAME, ORIGINAL_TABLES, matchKey, stageTable, type OriginalTable } from './tables.js';

/** Where the original rows are: staging tables in a schema (pgloader) or a directory of bcp/CSV files. */
export type ImportSource = { schema: string } | { directory: string; format?: FileFormat };

/** What to import, how (dry run, merge into a database with members) and with which keys. */
export interface ImportOptions {
  source: ImportSource;
  /** The data keyring: secure keys are encrypted under its current key. */
  dataKeys: Keyring;
  /** Run everything, report, and roll back. */
  dryRun?: boolean;
  /** Import into a database that already holds data (numbers and devices it has become theirs). */
  merge?: boolean;
  /** Keep the staging schema after a committed import (it holds plaintext secure keys). */
  keepStaging?: boolean;
  /** Shipped or configured migrations: the target must be up to date with them. */
  migrationsDir: string;
  lockTimeoutMs: number;
  /** Told what the import is doing (for a progress line). */
  onStep?: (step: string) => void;
}

/** The schema pgloader's command file (README) copies the SQL Server tables into. */
export const DEFAULT_STAGING_SCHEMA = 'ecliptix_import';
const IMPORT_LOCK_KEY = 7_412_990_015;
const KEY_BATCH = 2000;
/** Rows listed per kind of problem the checks find (the rest are counted). */
const PROBLEMS_PER_KIND = 5;

/** Kind and reason of each count 16-counts.sql returns, and the ecliptix table it belongs to. */
const NOTES: Record<string, { table: string; kind: ImportNoteKind; reason: string }> = {
  'device-merged': {
    table: 'app_devices',
    kind: 'merged',
    reason: 'the target already has an active device with this DeviceId: written soft-deleted, its references re-pointed to that device',
  },
  'phone-merged': {
    table: 'phone_numbers',
    kind: 'merged',
    reason:
      'the number also exists under another region (or none): one identity per E.164 number — written soft-deleted, every reference re-pointed to its oldest row',
  },
  'phone-merged-target': {
    table: 'phone_numbers',
    kind: 'merged',
    reason: "the target already has this number: written soft-deleted, every reference re-pointed to the target's phone",
  },
  'region-cleared': { table: 'phone_numbers', kind: 'changed', reason: 'the region is not an ISO 3166-1 alpha-2 code: stored as NULL' },
  'region-filled': {
    table: 'phone_numbers',
    kind: 'changed',
    reason: "the row kept for a number had no region: it took the first known region of the number's rows",
  },
  'link-merged': {
    table: 'phone_number_devices',
    kind: 'merged',
    reason: 'the merged number already has a link to this device: written soft-deleted on its old phone',
  },
  'primary-cleared': {
    table: 'phone_number_devices',
    kind: 'changed',
    reason: 'the number already has an older primary device: no longer primary',
  },
  'flow-expired': {
    table: 'verification_flows',
    kind: 'expired',
    reason: 'pending: it cannot be finished (its codes cannot be checked), so it is written expired',
  },
  'otp-expired': { table: 'otp_records', kind: 'expired', reason: 'pending: written expired' },
  'otp-hash-replaced': {
    table: 'otp_records',
    kind: 'changed',
    reason:
      'the unkeyed SHA-256 hash and its salt are not carried (a code could be recovered from them): replaced by a placeholder no check can match',
  },
  'otp-deactivated': { table: 'otp_records', kind: 'changed', reason: 'active: written inactive (no imported code can be checked)' },
  'membership-merged': {
    table: 'memberships',
    kind: 'merged',
    reason:
      'another membership of the same number and device stays active (active with a secure key first, then the oldest): written soft-deleted',
  },
  'key-encrypted': {
    table: 'memberships',
    kind: 'changed',
    reason: 'secure key encrypted at rest under the current data key as it was written (AES-256-GCM, membership id as associated data)',
  },
  'key-empty': { table: 'memberships', kind: 'changed', reason: 'an empty SecureKey: written without a key' },
  'lockout-typed': {
    table: 'login_attempts',
    kind: 'changed',
    reason: 'LOCKED_UNTIL:<time> became a typed lockout (locked_until, lockout_number; outcome imported_lockout)',
  },
  'login-refused': {
    table: 'login_attempts',
    kind: 'refused',
    reason: 'the phone number is not E.164: ecliptix records attempts for E.164 numbers only',
  },
};

/** The input is wrong: the report lists why; the transaction is rolled back. */
class InvalidInput extends Error {
  /** `unlisted`: problems read from files beyond the ones listed. */
  constructor(
    readonly problems: ImportProblem[],
    readonly unlisted = 0,
  ) {
    super('invalid input');
  }
}

function emptyTables(): ImportTableReport[] {
  return ORIGINAL_TABLES.map((t) => ({
    source: t.source,
    table: t.table,
    read: 0,
    written: 0,
    merged: 0,
    expired: 0,
    refused: 0,
    notes: [],
  }));
}

async function assertUpToDate(db: Database, options: ImportOptions): Promise<void> {
  const plan = await new Migrator({ db, migrationsDir: options.migrationsDir, lockTimeoutMs: options.lockTimeoutMs }).status();
  if (plan.pending.length > 0 || plan.problems.length > 0) {
    throw new PersistorError(
      'MIGRATION_FAILED',
      `the target database is not migrated up to date (${plan.pending.length} migration(s) pending${plan.problems.length > 0 ? `, ${plan.problems.length} journal problem(s)` : ''}): run \`migrate\` first, then import`,
    );
  }
}

/**
 * Schemas that are never a staging schema: the import drops the tables it
 * read from its staging schema, and the schema itself when that leaves it
 * empty, so it refuses to read from a schema that something else owns.
 */
export function assertStagingSchema(schema: string): void {
  const name = schema.toLowerCase();
  const reserved =
    name === 'public' ||
    name === 'information_schema' ||
    name === 'persistor' ||
    name.startsWith('pg_') ||
    (name.startsWith('ecliptix') && !name.startsWith(DEFAULT_STAGING_SCHEMA));
  if (reserved) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `--schema ${schema} is not a staging schema (public, information_schema, pg_*, persistor and ecliptix's own schemas are refused): load the original into a schema of its own with pgloader (default ${DEFAULT_STAGING_SCHEMA})`,
    );
  }
}

/**
 * The staging schema's tables into the staging tables: each table and column
 * matched by name (case and underscores ignored), each type checked. Returns
 * the staging schema's tables it read (their names there).
 */
async function stageFromSchema(tx: Queryable, schema: string, problems: ImportProblem[]): Promise<string[]> {
  const exists = (await tx.query<{ exists: boolean }>(sqlFile('import/staging-schema-exists.sql'), [schema])).rows[0]?.exists;
  if (!exists) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `the staging schema "${schema}" does not exist: load the original into it with pgloader first (README, "Importing from SQL Server"), or import exported files with --from-files`,
    );
  }
  const catalog = (
    await tx.query<{ table_name: string; column_name: string; type: string }>(sqlFile('import/staging-columns.sql'), [schema])
  ).rows;
  const plans: { table: OriginalTable; source: string; columns: string[]; sources: string[]; zoned: boolean[] }[] = [];
  for (const table of ORIGINAL_TABLES) {
    const names = [...new Set(catalog.filter((c) => matchKey(c.table_name) === matchKey(table.source)).map((c) => c.table_name))];
    if (names.length !== 1) {
      problems.push({
        table: table.source,
        problem:
          names.length === 0
            ? `no table ${table.source} in schema ${schema} (pgloader's name for dbo.${table.source}: ${table.table} or ${table.source.toLowerCase()})`
            : `several tables in ${schema} match ${table.source}: ${names.join(', ')}`,
      });
      continue;
    }
    const columns = catalog.filter((c) => c.table_name === names[0]);
    const plan = { table, source: names[0]!, columns: [] as string[], sources: [] as string[], zoned: [] as boolean[] };
    for (const column of table.columns) {
      const found = columns.filter((c) => matchKey(c.column_name) === matchKey(column.source));
      if (found.length !== 1) {
        problems.push({
          table: table.source,
          column: column.source,
          problem: found.length === 0 ? `is missing from ${schema}.${names[0]}` : `matches several columns of ${schema}.${names[0]}`,
        });
        continue;
      }
      const { column_name: name, type } = found[0]!;
      if (!ACCEPTED_TYPES[column.kind].some((accepted) => accepted.test(type))) {
        problems.push({
          table: table.source,
          column: column.source,
          problem: `is ${type} in ${schema}.${names[0]}; expected ${KIND_NAME[column.kind]} — see the CAST rules of the README's pgloader command file`,
        });
        continue;
      }
      plan.columns.push(column.stage);
      plan.sources.push(name);
      plan.zoned.push(/with time zone/.test(type));
    }
    plans.push(plan);
  }
  if (problems.length > 0) return [];
  for (const plan of plans) {
    const statement = (
      await tx.query<{ statement: string }>(sqlFile('import/build-stage-copy.sql'), [
        stageTable(plan.table),
        plan.columns,
        plan.sources,
        plan.zoned,
        schema,
        plan.source,
      ])
    ).rows[0]!.statement;
    await tx.query(statement);
  }
  return plans.map((plan) => plan.source);
}

/**
 * Drops the staging tables the import read (RESTRICT), then the staging
 * schema only if that left it empty; returns whether the schema went.
 */
async function dropStaging(tx: Queryable, schema: string, read: string[]): Promise<boolean> {
  for (const { statement } of (await tx.query<{ statement: string }>(sqlFile('import/drop-staging-tables.sql'), [schema, read])).rows) {
    await tx.query(statement);
  }
  await tx.query(sqlFile('import/set-staging-schema.sql'), [schema]);
  await tx.exec(sqlFile('import/drop-staging-schema.sql'));
  return (await tx.query<{ dropped: boolean }>(sqlFile('import/staging-schema-dropped.sql'), [schema])).rows[0]!.dropped;
}

/** Encrypts every staged secure key under the current data key into import_keys, in batches; returns how many. */
async function encryptKeys(tx: Queryable, keyring: Keyring): Promise<number> {
  let afterId = 0;
  let encrypted = 0;
  for (;;) {
    const rows = (
      await tx.query<{ id: number; unique_id: string; secure_key: string }>(sqlFile('import/keys-batch.sql'), [afterId, KEY_BATCH])
    ).rows;
    if (rows.length === 0) return encrypted;
    const ids: number[] = [];
    const keys: string[] = [];
    for (const row of rows) {
      const plaintext = Buffer.from(row.secure_key, 'hex');
      keys.push(encryptSecureKey(keyring, row.unique_id, plaintext).toString('hex'));
      plaintext.fill(0);
      ids.push(Number(row.id));
    }
    await tx.query(sqlFile('import/keys-insert.sql'), [ids, keys]);
    encrypted += rows.length;
    afterId = Number(rows[rows.length - 1]!.id);
  }
}

const INSERTS: readonly { step: string; table: string }[] = [
  { step: '02-app-devices', table: 'app_devices' },
  { step: '03-phone-numbers', table: 'phone_numbers' },
  { step: '06-phone-number-devices', table: 'phone_number_devices' },
  { step: '07-verification-flows', table: 'verification_flows' },
  { step: '08-otp-records', table: 'otp_records' },
  { step: '09-failed-otp-attempts', table: 'failed_otp_attempts' },
  { step: '11-memberships', table: 'memberships' },
  { step: '12-membership-attempts', table: 'membership_attempts' },
  { step: '13-login-attempts', table: 'login_attempts' },
  { step: '14-event-log', table: 'event_log' },
];

/** Maps the validated staging tables into ecliptix; fills the report's tables. */
async function mapIntoEcliptix(tx: Queryable, options: ImportOptions, tables: ImportTableReport[]): Promise<number> {
  const byTable = new Map(tables.map((t) => [t.table, t]));
  const step = (name: string) => options.onStep?.(name);
  let encrypted = 0;
  for (const insert of INSERTS) {
    if (insert.step === '02-app-devices') {
      step('deciding which rows stand for which');
      await tx.exec(sqlFile('import/map/01-identities.sql'));
    }
    if (insert.step === '06-phone-number-devices') {
      await tx.query(sqlFile('import/map/04-phone-ids.sql'));
      await tx.exec(sqlFile('import/map/05-links.sql'));
    }
    if (insert.step === '11-memberships') {
      await tx.exec(sqlFile('import/map/10-memberships-plan.sql'));
      step('encrypting secure keys');
      encrypted = await encryptKeys(tx, options.dataKeys);
    }
    step(`writing ecliptix.${insert.table}`);
    const result = await tx.query(sqlFile(`import/map/${insert.step}.sql`));
    byTable.get(insert.table)!.written = result.rowCount;
  }
  step('counting for the report');
  const events = (await tx.query(sqlFile('import/map/15-merge-events.sql'))).rowCount;

  const counts = (await tx.query<{ code: string; rows: number }>(sqlFile('import/map/16-counts.sql'))).rows;
  for (const { code, rows } of counts) {
    const n = Number(rows);
    const note = NOTES[code];
    if (!note || n === 0) continue;
    const report = byTable.get(note.table)!;
    report.notes.push({ kind: note.kind, rows: n, reason: note.reason } satisfies ImportNote);
    if (note.kind === 'merged') report.merged += n;
    if (note.kind === 'expired') report.expired += n;
    if (note.kind === 'refused') report.refused += n;
  }
  const inForce = Number(counts.find((c) => c.code === 'lockout-in-force')?.rows ?? 0);
  if (inForce > 0)
    byTable.get('login_attempts')!.notes.push({
      kind: 'changed',
      rows: inForce,
      reason: 'of these lockouts are still in force: those numbers stay locked until the same time',
    });
  if (events > 0)
    byTable
      .get('event_log')!
      .notes.push({ kind: 'changed', rows: events, reason: 'phone_number_merged event(s) added, one per merged phone (unique ids only)' });

  // Every row read is written or refused: the mapping's joins must have lost nothing.
  for (const t of tables) {
    if (t.written + t.refused !== t.read) {
      throw new PersistorError(
        'OPERATION_FAILED',
        `import check failed: ${t.source} had ${t.read} row(s), ${t.written} written and ${t.refused} refused; nothing was imported`,
      );
    }
  }
  return encrypted;
}

/** validate.sql's rows as the report's problems, in the order it returns them (a file's row named by its file and line). */
function toProblems(
  rows: { table: string; column: string | null; row: number | null; line: number | null; problem: string; total: number }[],
  fileOf: Map<string, string>,
): ImportProblem[] {
  return rows.map((r) => ({
    table: r.table,
    ...(r.column ? { column: r.column } : {}),
    ...(r.row === null ? {} : { row: Number(r.row) }),
    ...(r.line === null ? {} : { file: fileOf.get(r.table)!, line: Number(r.line) }),
    problem: r.problem,
    rows: Number(r.total),
  }));
}

/**
 * Validates the original tables, then (unless a dry run) copies them into the memberships schema in one transaction: nothing is written when anything is invalid.
 */
export async function runImport(db: Database, given: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const steps: ImportReport['steps'] = [];
  let step: { step: string; at: number } | undefined;
  const endStep = (): void => {
    if (step) steps.push({ step: step.step, ms: Number((performance.now() - step.at).toFixed(1)) });
    step = undefined;
  };
  const options: ImportOptions = {
    ...given,
    onStep: (name) => {
      endStep();
      step = { step: name, at: performance.now() };
      given.onStep?.(name);
    },
  };
  const dryRun = options.dryRun === true;
  const merge = options.merge === true;
  const tables = emptyTables();
  const { source } = options;
  const schema = 'schema' in source ? source.schema : undefined;
  if (schema !== undefined) assertStagingSchema(schema);
  const report: ImportReport = {
    source: 'directory' in source ? { kind: 'files', directory: source.directory, files: [] } : { kind: 'schema', schema: source.schema },
    dryRun,
    merge,
    status: dryRun ? 'dry-run' : 'imported',
    tables,
    problems: [],
    problemCount: 0,
    secureKeys: { encrypted: 0, keyId: options.dataKeys.currentId },
    stagingDropped: false,
    stagingSchemaDropped: false,
    rowsRead: 0,
    rowsWritten: 0,
    durationMs: 0,
    steps,
  };
  const finish = (): ImportReport => {
    endStep();
    report.rowsRead = tables.reduce((sum, t) => sum + t.read, 0);
    report.rowsWritten = tables.reduce((sum, t) => sum + t.written, 0);
    report.durationMs = Number((performance.now() - started).toFixed(1));
    return report;
  };

  await assertUpToDate(db, options);
  const found = 'directory' in source ? await findTableFiles(source.directory, source.format) : undefined;

  try {
    await db.withSession((session) =>
      session.transaction(
        async (tx) => {
          if (!(await tx.query<{ acquired: boolean }>(sqlFile('import/try-lock.sql'), [IMPORT_LOCK_KEY])).rows[0]?.acquired) {
            throw new PersistorError('LOCK_TIMEOUT', 'another import is running on this database; try again when it has finished');
          }
          await tx.query(sqlFile('import/set-lock-timeout.sql'), [`${options.lockTimeoutMs}ms`]);
          const target = (await tx.query<{ holds_data: boolean; members: number }>(sqlFile('import/target-state.sql'))).rows[0]!;
          if (target.holds_data && !merge) {
            throw new PersistorError(
              'INVALID_ARGUMENT',
              `the target database already holds data (${Number(target.members)} membership(s)): import into a freshly migrated database, or pass --merge to add the original's members to it`,
            );
          }
          if (merge) await tx.query(sqlFile('import/lock-identity-tables.sql'));

          if (db.engine === 'postgres') await tx.exec(sqlFile('import/temp-buffers.sql'));
          await tx.exec(sqlFile('import/create-stage-tables.sql'));
          const problems: ImportProblem[] = [];
          const fileOf = new Map<string, string>();
          let staged: string[] = [];
          let unlisted = 0;
          if (found) {
            problems.push(...found.problems);
            for (const file of found.files) {
              options.onStep?.(`loading ${file.path}`);
              const { rows, unlisted: more } = await loadTableFile(tx, file, problems);
              unlisted += more;
              const name = file.path.split(/[\\/]/).pop()!;
              fileOf.set(file.table.source, name);
              if (report.source.kind === 'files')
                report.source.files.push({ table: file.table.source, file: name, format: file.format, rows });
            }
          } else if (schema !== undefined) {
            options.onStep?.('copying the staging schema');
            staged = await stageFromSchema(tx, schema, problems);
          }
          if (problems.length > 0) throw new InvalidInput(problems, unlisted);

          options.onStep?.('analyzing the staged rows');
          await tx.query(sqlFile('import/analyze-stage.sql'));
          for (const { table, rows } of (await tx.query<{ table: string; rows: number }>(sqlFile('import/stage-counts.sql'))).rows) {
            tables.find((t) => t.source === table)!.read = Number(rows);
          }
          options.onStep?.('validating');
          const invalid = (
            await tx.query<{
              table: string;
              column: string | null;
              row: number | null;
              line: number | null;
              problem: string;
              total: number;
            }>(sqlFile('import/validate.sql'), [PROBLEMS_PER_KIND])
          ).rows;
          if (invalid.length > 0) throw new InvalidInput(toProblems(invalid, fileOf));

          const encrypted = await mapIntoEcliptix(tx, options, tables);
          report.secureKeys.encrypted = encrypted;
          const summary = `imported from SQL Server (${schema === undefined ? 'exported files' : `staging schema ${schema}`}): ${tables
            .map((t) => `${t.table} ${t.written}`)
            .join(', ')}; ${encrypted} secure key(s) encrypted under data key ${options.dataKeys.currentId}`;
          await tx.query(sqlFile('import/import-event.sql'), [summary]);

          if (schema !== undefined && !options.keepStaging && !dryRun) {
            options.onStep?.('dropping the staging tables');
            report.stagingSchemaDropped = await dropStaging(tx, schema, staged);
            report.stagingDropped = true;
          }
          options.onStep?.(dryRun ? 'rolling back (dry run)' : 'committing');
        },
        { rollback: dryRun },
      ),
    );
  } catch (error) {
    if (error instanceof InvalidInput) {
      report.status = 'invalid';
      report.problems = error.problems;
      // A problem read from a file is one problem (the unlisted ones counted apart); a listed row of a checked kind
      // carries the kind's total: count the kind once.
      const kinds = new Map<string, number>();
      for (const p of error.problems) if (p.rows !== undefined) kinds.set(`${p.table}|${p.column ?? ''}|${p.problem}`, p.rows);
      report.problemCount =
        error.problems.filter((p) => p.rows === undefined).length + error.unlisted + [...kinds.values()].reduce((sum, n) => sum + n, 0);
      for (const t of tables) {
        t.written = 0;
        t.merged = t.expired = t.refused = 0;
        t.notes = [];
      }
      report.secureKeys.encrypted = 0;
      return finish();
    }
    if (error instanceof PersistorError) throw error;
    const code = (error as { code?: string }).code;
    if (code === '2BP01') {
      throw new PersistorError(
        'OPERATION_FAILED',
        `the staging tables could not be dropped, other objects depend on them (${messageOf(error)}); nothing was imported: drop those objects, or import with --keep-staging and drop the staging tables yourself`,
        { cause: error },
      );
    }
    if (code === '55P03')
      throw new PersistorError(
        'LOCK_TIMEOUT',
        `the import waited more than ${options.lockTimeoutMs} ms for a table lock (is a migration or the application holding it?); nothing was imported`,
        { cause: error },
      );
    // A database error names no value here: messageOf is the message alone (a detail could hold a row's values).
    throw new PersistorError('OPERATION_FAILED', `import failed, nothing was imported: ${messageOf(error)}`, { cause: error });
  }
  return finish();
}
