/**
 * The migration engine: status, validate, migrate (and its dry run),
 * baseline and repair, over any `Database`. Transactional migrations run
 * whole, each in its own transaction with its journal row; a no-transaction
 * one runs statement by statement (statements.ts), its journal row saying how
 * far it got.
 */
import { performance } from 'node:perf_hooks';
import type { Database, Queryable, Session } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { compareVersions, isValidVersion, loadMigrations, normaliseVersion, type Migration } from './files.js';
import { DEFAULT_FLYWAY_TABLE, planFlywayAdoption, readFlywayHistory, type FlywayAdoption } from './flyway.js';
import { deleteFailedEntries, ensureJournal, readJournal, recordMigration, updateChecksum } from './journal.js';
import { RoleKeeper, type RolesUpkeep } from './keep-roles.js';
import { computePlan, rerunAdvice, type Plan } from './plan.js';
import { withRunLock } from './run-lock.js';
import { describeSqlError } from './sql-error.js';
import { splitStatements, type SqlStatement } from './statements.js';

/** What a {@link Migrator} works on. */
export interface MigratorOptions {
  db: Database;
  /** The folder of V*__*.sql and R__*.sql files (searched recursively). */
  migrationsDir: string;
  /** How long `migrate`, `baseline` and `repair` wait for another run's lock. */
  lockTimeoutMs: number;
  /** Called as each migration starts, finishes or is skipped (progress output). */
  onEvent?: (event: MigratorEvent) => void;
}

/**
 * Progress of a `migrate` run, one event per migration step.
 *
 * @example
 * ```ts
 * const onEvent = (event: MigratorEvent) => {
 *   if (event.type === 'migration-done') console.log(`applied ${event.migration.script} (${event.durationMs} ms)`);
 * };
 * ```
 */
export type MigratorEvent =
  | { type: 'migration-start'; migration: Migration }
  | { type: 'migration-done'; migration: Migration; durationMs: number }
  | { type: 'migration-skipped'; migration: Migration; reason: string };

/** One migration that `migrate` applied (or, in a dry run, proved or skipped). */
export interface AppliedMigration {
  type: Migration['type'];
  version: string | null;
  description: string;
  script: string;
  durationMs: number;
  /** Dry runs only: the migration could not be proven inside the rolled-back transaction. */
  skipped?: string;
  /**
   * When roles are set up: whether this migration changed anything they cover
   * (a re-created routine, a new table), so that ownership and grants were
   * re-applied in its transaction, or left them as the last apply did.
   */
  roles?: RolesUpkeep;
}

/** What a `migrate` run did. */
export interface MigrateResult {
  dryRun: boolean;
  applied: AppliedMigration[];
  /** Pending migrations left alone because of --target. */
  notApplied: { script: string; reason: string }[];
  upToDate: boolean;
  /**
   * Roles are set up on this database (`roles`) and were kept applied with
   * every migration that ran: inside its transaction, before its journal row
   * was committed (a no-transaction migration: right after it), re-applied
   * where the migration changed anything they cover (each migration's
   * `roles`). In a dry run, rolled back with everything else. False when
   * roles are not set up or nothing ran.
   */
  rolesReapplied: boolean;
}

/** Options of {@link Migrator.migrate}. */
export interface MigrateOptions {
  /** Apply versioned migrations up to this version only (repeatables wait until none is pending). */
  target?: string;
  /** Run everything inside one transaction and roll it back; no-transaction migrations are skipped. */
  dryRun?: boolean;
}

/**
 * Deploys a folder of Flyway-style migrations to one database and keeps the
 * journal `persistor.schema_history`; every method that writes holds the run
 * lock, so concurrent runs queue.
 *
 * @example
 * ```ts
 * const migrator = new Migrator({ db, migrationsDir: 'migrations', lockTimeoutMs: 10_000 });
 * const plan = await migrator.status();
 * if (plan.pending.length > 0) await migrator.migrate();
 * ```
 */
export class Migrator {
  constructor(private readonly options: MigratorOptions) {}

  /**
   * The files compared with the journal, read on `db` (a transaction, say).
   *
   * @example
   * ```ts
   * const { pending } = await migrator.plan();
   * ```
   */
  async plan(db: Queryable = this.options.db): Promise<Plan> {
    const [migrations, journal] = await Promise.all([loadMigrations(this.options.migrationsDir), readJournal(db)]);
    return computePlan(migrations, journal);
  }

  /**
   * Where every migration stands. Read-only: never creates the journal.
   *
   * @example
   * ```ts
   * const { statuses, problems } = await migrator.status();
   * ```
   */
  status(): Promise<Plan> {
    return this.plan();
  }

  /**
   * The plan, or a VALIDATION_FAILED error listing its problems (edited, failed or out-of-order migrations).
   *
   * @example
   * ```ts
   * await migrator.validate(); // throws when `migrate` would refuse
   * ```
   */
  async validate(): Promise<Plan> {
    const plan = await this.plan();
    assertValid(plan);
    return plan;
  }

  /**
   * Applies what is pending (up to `target`), each migration in its own
   * transaction with its journal row, under the run lock; a dry run does the
   * same inside one transaction that it rolls back.
   *
   * @example
   * ```ts
   * const result = await new Migrator({ db, migrationsDir: 'migrations', lockTimeoutMs: 10_000 }).migrate({ target: '3' });
   * for (const m of result.applied) console.log(`applied ${m.script} in ${m.durationMs} ms`);
   * ```
   */
  async migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
    const target = options.target === undefined ? undefined : parseTarget(options.target);
    return this.locked((session) => {
      if (!options.dryRun) return this.run(session, target, applyForReal(session));
      // PostgreSQL's DDL is transactional: the whole plan runs in one transaction, rolled back at the end.
      return session.transaction((tx) => this.run(tx, target, dryRunIn(tx)), { rollback: true });
    });
  }

  /**
   * Adopts a database deployed by other means: records every versioned migration up to `version` as applied, without running it.
   *
   * @example
   * ```ts
   * const adopted = await migrator.baseline('3');
   * ```
   */
  async baseline(version: string): Promise<Migration[]> {
    const baselineVersion = parseTarget(version);
    return this.locked((session) =>
      session.transaction(async (tx) => {
        await ensureJournal(tx);
        await assertEmptyJournal(tx);
        const migrations = await loadMigrations(this.options.migrationsDir);
        const adopted = migrations.filter((m) => m.type === 'versioned' && compareVersions(m.version!, baselineVersion) <= 0);
        if (adopted.length === 0) {
          throw new PersistorError(
            'INVALID_ARGUMENT',
            `cannot baseline at version ${version}: no versioned migration has that version or a lower one`,
          );
        }
        for (const migration of adopted) await recordMigration(tx, migration, { type: 'baseline', executionMs: 0, success: true });
        return adopted;
      }),
    );
  }

  /**
   * Adopts a database that Flyway managed: reads its history table (see
   * flyway.ts) and, in one transaction, records as baseline every versioned
   * migration up to Flyway's highest successful version, and as applied the
   * repeatables Flyway ran that are unchanged since.
   *
   * @example
   * ```ts
   * const { version, table } = await migrator.baselineFromFlyway('flyway.flyway_schema_history');
   * ```
   */
  async baselineFromFlyway(flywayTable: string = DEFAULT_FLYWAY_TABLE): Promise<FlywayAdoption> {
    return this.locked((session) =>
      session.transaction(async (tx) => {
        await ensureJournal(tx);
        await assertEmptyJournal(tx);
        const migrations = await loadMigrations(this.options.migrationsDir);
        const { table, rows } = await readFlywayHistory(tx, flywayTable);
        const adoption = planFlywayAdoption(table, rows, migrations);
        for (const migration of adoption.versioned)
          await recordMigration(tx, migration, { type: 'baseline', executionMs: 0, success: true });
        for (const migration of adoption.repeatables) await recordMigration(tx, migration, { executionMs: 0, success: true });
        return adoption;
      }),
    );
  }

  /**
   * Accepts edited versioned migrations (records their new checksums) and
   * forgets failed no-transaction runs, so that `migrate` runs them again
   * from their first statement.
   *
   * @example
   * ```ts
   * const { checksumsUpdated, failedRemoved } = await migrator.repair();
   * ```
   */
  async repair(): Promise<{ checksumsUpdated: string[]; failedRemoved: string[] }> {
    return this.locked((session) =>
      session.transaction(async (tx) => {
        await ensureJournal(tx);
        const plan = await this.plan(tx);
        const checksumsUpdated: string[] = [];
        for (const status of plan.statuses.filter((s) => s.state === 'checksum_mismatch')) {
          await updateChecksum(tx, status.version!, status.checksum!);
          checksumsUpdated.push(status.script);
        }
        const failedRemoved = (await deleteFailedEntries(tx)).map((row) => row.script);
        return { checksumsUpdated, failedRemoved };
      }),
    );
  }

  private locked<T>(work: (session: Session) => Promise<T>): Promise<T> {
    return this.options.db.withSession((session) => withRunLock(session, this.options.lockTimeoutMs, () => work(session)));
  }

  /**
   * The one path of `migrate` and its dry run: `mode` says where each
   * migration's transaction comes from and what a dry run leaves out.
   */
  private async run(db: Queryable, target: string | undefined, mode: RunMode): Promise<MigrateResult> {
    await mode.atomically((tx) => ensureJournal(tx));
    const plan = await this.plan(db);
    assertValid(plan);
    const { toApply, notApplied } = selectForTarget(plan, target);
    const keeper = toApply.length > 0 ? await RoleKeeper.forRun(db) : undefined;
    const applied: AppliedMigration[] = [];
    for (const migration of toApply) {
      if (!migration.transactional && mode.unguarded === undefined) {
        const reason = 'runs outside a transaction, so a dry run cannot prove it';
        this.options.onEvent?.({ type: 'migration-skipped', migration, reason });
        applied.push({ ...summary(migration, 0), skipped: reason });
        continue;
      }
      applied.push(await this.apply(migration, keeper, mode));
    }
    return {
      dryRun: mode.dryRun,
      applied,
      notApplied,
      upToDate: notApplied.length === 0,
      rolesReapplied: applied.some((m) => m.roles !== undefined),
    };
  }

  /** `keeper`: when roles are set up, keeps them applied with the migration (see keep-roles.ts). */
  private async apply(migration: Migration, keeper: RoleKeeper | undefined, mode: RunMode): Promise<AppliedMigration> {
    this.options.onEvent?.({ type: 'migration-start', migration });
    const started = performance.now();
    const prefix = mode.dryRun ? 'dry run: ' : '';
    let roles: RolesUpkeep | undefined;
    if (migration.transactional || mode.unguarded === undefined) {
      try {
        await mode.atomically(async (tx) => {
          await tx.exec(migration.sql);
          if (keeper) roles = await keeper.after(tx, migration, { prefix });
          await recordMigration(tx, migration, { executionMs: performance.now() - started, success: true });
        });
      } catch (error) {
        throw migrationFailure(migration, error, prefix);
      }
    } else {
      roles = await this.applyUnguarded(mode.unguarded, migration, keeper, started);
    }
    const durationMs = performance.now() - started;
    this.options.onEvent?.({ type: 'migration-done', migration, durationMs });
    return { ...summary(migration, durationMs), ...(roles ? { roles } : {}) };
  }

  /**
   * A no-transaction migration: each statement on its own, in order, each
   * committed as it succeeds; the journal row says how many did, and on a
   * failure which statement failed and why.
   */
  private async applyUnguarded(
    session: Session,
    migration: Migration,
    keeper: RoleKeeper | undefined,
    started: number,
  ): Promise<RolesUpkeep | undefined> {
    const statements = splitStatements(migration.sql);
    let done = 0;
    try {
      for (const statement of statements) {
        await session.exec(statement.text);
        done++;
      }
    } catch (error) {
      const failure = statementFailure(migration, statements, done, error);
      await recordMigration(session, migration, {
        executionMs: performance.now() - started,
        success: false,
        statementsApplied: done,
        failure: failure.journal,
      }).catch(() => undefined);
      // What ran may have re-created functions: give them back their owner and grants.
      if (keeper && done > 0) await keeper.afterUnguarded(session, migration).catch(() => undefined);
      throw failure.error;
    }
    await recordMigration(session, migration, { executionMs: performance.now() - started, success: true, statementsApplied: done });
    return keeper ? keeper.afterUnguarded(session, migration) : undefined;
  }
}

/**
 * How `migrate` runs: for real, each migration in a transaction of its own
 * and a no-transaction one on the session; in a dry run, all of them inside
 * the one transaction that is rolled back, no-transaction ones left out.
 */
interface RunMode {
  /** A dry run: its messages say so, and what it did is rolled back at the end. */
  dryRun: boolean;
  /** Runs the work of one migration atomically, with its journal row. */
  atomically<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Where no-transaction migrations run; undefined in a dry run, which skips them. */
  unguarded?: Session;
}

function applyForReal(session: Session): RunMode {
  return { dryRun: false, atomically: (work) => session.transaction(work), unguarded: session };
}

function dryRunIn(tx: Queryable): RunMode {
  return { dryRun: true, atomically: (work) => work(tx) };
}

function summary(migration: Migration, durationMs: number): AppliedMigration {
  return {
    type: migration.type,
    version: migration.version ?? null,
    description: migration.description,
    script: migration.script,
    durationMs,
  };
}

/** A transactional migration failed: it was rolled back whole. */
function migrationFailure(migration: Migration, error: unknown, prefix = ''): PersistorError {
  if (error instanceof PersistorError) return error;
  const { message, details } = describeSqlError(error, migration.sql);
  return new PersistorError('MIGRATION_FAILED', `${prefix}migration ${migration.script} failed${message}`, {
    details: [...details, 'rolled back: nothing of it was applied'],
    cause: error,
  });
}

/** `statement 2 of 3 (line 4: INSERT INTO …)` */
function statementLabel(statement: SqlStatement, total: number): string {
  return `statement ${statement.number} of ${total} (line ${statement.line}: ${statement.firstLine})`;
}

/**
 * Statement `done + 1` of a no-transaction migration failed after `done`
 * succeeded: the error names it and says what was applied, what was not and
 * what to do; `journal` is the line kept in the journal row.
 */
function statementFailure(
  migration: Migration,
  statements: readonly SqlStatement[],
  done: number,
  error: unknown,
): { error: PersistorError; journal: string } {
  const failed = statements[done]!;
  const { message, details } = describeSqlError(error, migration.sql, failed.offset);
  const sqlMessage = message.replace(/^ at line \d+, column \d+/, '');
  const journal = `${statementLabel(failed, statements.length)}${sqlMessage}`;
  const applied = statements.slice(0, done).map((s) => `applied (and kept): ${statementLabel(s, statements.length)}`);
  const notRun = statements.slice(done + 1).map((s) => `not run: ${statementLabel(s, statements.length)}`);
  const error_ = new PersistorError(
    'MIGRATION_FAILED',
    `migration ${migration.script} failed at ${statementLabel(failed, statements.length)}${sqlMessage}`,
    {
      details: [
        ...details,
        `it runs without a transaction, statement by statement: ${done} of ${statements.length} applied before statement ${failed.number} failed`,
        ...applied,
        `failed: ${statementLabel(failed, statements.length)}`,
        ...notRun,
        rerunAdvice(done),
      ],
      cause: error,
    },
  );
  return { error: error_, journal };
}

async function assertEmptyJournal(db: Queryable): Promise<void> {
  const journal = await readJournal(db);
  if (journal.length > 0) {
    throw new PersistorError(
      'VALIDATION_FAILED',
      `cannot baseline: the database already has ${journal.length} journal entries (baseline is for a database that never used this tool)`,
    );
  }
}

function assertValid(plan: Plan): void {
  if (plan.problems.length > 0) {
    throw new PersistorError('VALIDATION_FAILED', `validation failed: ${plan.problems.length} problem(s) with applied migrations`, {
      details: plan.problems,
    });
  }
}

/**
 * Reads a `--target` or `baseline` version, normalised; throws INVALID_ARGUMENT when it is no version.
 *
 * @example
 * ```ts
 * parseTarget('V1_2'.slice(1)); // '1.2'
 * ```
 */
export function parseTarget(version: string): string {
  if (!isValidVersion(version)) {
    throw new PersistorError('INVALID_ARGUMENT', `invalid version "${version}": expected a number such as 3 or 1.2`);
  }
  return normaliseVersion(version);
}

/**
 * With a target, versioned migrations above it wait; repeatables (functions,
 * procedures, triggers) are applied only once no versioned migration is left
 * pending, since they may depend on the newest tables.
 */
function selectForTarget(plan: Plan, target: string | undefined): { toApply: Migration[]; notApplied: MigrateResult['notApplied'] } {
  if (target === undefined) return { toApply: plan.pending, notApplied: [] };
  const versioned = plan.pending.filter((m) => m.type === 'versioned');
  const within = versioned.filter((m) => compareVersions(m.version!, target) <= 0);
  const beyond = versioned.filter((m) => compareVersions(m.version!, target) > 0);
  const repeatables = plan.pending.filter((m) => m.type === 'repeatable');
  const notApplied = beyond.map((m) => ({ script: m.script, reason: `above --target ${target}` }));
  if (beyond.length > 0) {
    notApplied.push(
      ...repeatables.map((m) => ({ script: m.script, reason: 'repeatables wait until every versioned migration is applied' })),
    );
    return { toApply: within, notApplied };
  }
  return { toApply: [...within, ...repeatables], notApplied };
}
