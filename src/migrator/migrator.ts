/**
 * The migration engine: status, validate, migrate (and its dry run),
 * baseline and repair, over any `Database`.
 */
import { performance } from 'node:perf_hooks';
import type { Database, Queryable, Session } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { compareVersions, isValidVersion, loadMigrations, normaliseVersion, type Migration } from './files.js';
import { DEFAULT_FLYWAY_TABLE, planFlywayAdoption, readFlywayHistory, type FlywayAdoption } from './flyway.js';
import { deleteFailedEntries, ensureJournal, readJournal, recordMigration, updateChecksum } from './journal.js';
import { RoleKeeper, type RolesUpkeep } from './keep-roles.js';
import { computePlan, type Plan } from './plan.js';
import { withRunLock } from './run-lock.js';
import { describeSqlError } from './sql-error.js';

export interface MigratorOptions {
  db: Database;
  migrationsDir: string;
  lockTimeoutMs: number;
  onEvent?: (event: MigratorEvent) => void;
}

export type MigratorEvent =
  | { type: 'migration-start'; migration: Migration }
  | { type: 'migration-done'; migration: Migration; durationMs: number }
  | { type: 'migration-skipped'; migration: Migration; reason: string };

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

export interface MigrateOptions {
  target?: string;
  dryRun?: boolean;
}

export class Migrator {
  constructor(private readonly options: MigratorOptions) {}

  async plan(db: Queryable = this.options.db): Promise<Plan> {
    const [migrations, journal] = await Promise.all([loadMigrations(this.options.migrationsDir), readJournal(db)]);
    return computePlan(migrations, journal);
  }

  /** Read-only: never creates the journal. */
  status(): Promise<Plan> {
    return this.plan();
  }

  async validate(): Promise<Plan> {
    const plan = await this.plan();
    assertValid(plan);
    return plan;
  }

  async migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
    const target = options.target === undefined ? undefined : parseTarget(options.target);
    return this.locked(async (session) => {
      if (options.dryRun) return this.dryRun(session, target);
      await session.transaction((tx) => ensureJournal(tx));
      const plan = await this.plan(session);
      assertValid(plan);
      const { toApply, notApplied } = selectForTarget(plan, target);
      const keeper = toApply.length > 0 ? await RoleKeeper.forRun(session) : undefined;
      const applied: AppliedMigration[] = [];
      for (const migration of toApply) applied.push(await this.apply(session, migration, keeper));
      return {
        dryRun: false,
        applied,
        notApplied,
        upToDate: notApplied.length === 0,
        rolesReapplied: applied.some((m) => m.roles !== undefined),
      };
    });
  }

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

  /** Accepts edited versioned migrations (records their new checksums) and forgets failed runs. */
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

  /** `keeper`: when roles are set up, keeps them applied with the migration (see keep-roles.ts). */
  private async apply(session: Session, migration: Migration, keeper: RoleKeeper | undefined): Promise<AppliedMigration> {
    this.options.onEvent?.({ type: 'migration-start', migration });
    const started = performance.now();
    let roles: RolesUpkeep | undefined;
    try {
      if (migration.transactional) {
        await session.transaction(async (tx) => {
          await tx.exec(migration.sql);
          if (keeper) roles = await keeper.after(tx, migration);
          await recordMigration(tx, migration, { executionMs: performance.now() - started, success: true });
        });
      } else {
        await session.exec(migration.sql);
        await recordMigration(session, migration, { executionMs: performance.now() - started, success: true });
      }
    } catch (error) {
      if (!migration.transactional) {
        await recordMigration(session, migration, { executionMs: performance.now() - started, success: false }).catch(() => undefined);
        // Whatever part of it ran may have re-created functions: give them back their owner and grants.
        if (keeper) await keeper.afterUnguarded(session, migration).catch(() => undefined);
      }
      throw migrationFailure(migration, error);
    }
    if (keeper && !migration.transactional) roles = await keeper.afterUnguarded(session, migration);
    const durationMs = performance.now() - started;
    this.options.onEvent?.({ type: 'migration-done', migration, durationMs });
    return { ...summary(migration, durationMs), ...(roles ? { roles } : {}) };
  }

  /**
   * Runs the whole plan inside one transaction and rolls it back: PostgreSQL's
   * DDL is transactional, so this proves the plan without changing anything.
   */
  private async dryRun(session: Session, target: string | undefined): Promise<MigrateResult> {
    return session.transaction(
      async (tx) => {
        await ensureJournal(tx);
        const plan = await this.plan(tx);
        assertValid(plan);
        const { toApply, notApplied } = selectForTarget(plan, target);
        const keeper = toApply.length > 0 ? await RoleKeeper.forRun(tx) : undefined;
        const applied: AppliedMigration[] = [];
        for (const migration of toApply) {
          if (!migration.transactional) {
            const reason = 'runs outside a transaction, so a dry run cannot prove it';
            this.options.onEvent?.({ type: 'migration-skipped', migration, reason });
            applied.push({ ...summary(migration, 0), skipped: reason });
            continue;
          }
          this.options.onEvent?.({ type: 'migration-start', migration });
          const started = performance.now();
          let roles: RolesUpkeep | undefined;
          try {
            await tx.exec(migration.sql);
            if (keeper) roles = await keeper.after(tx, migration, { prefix: 'dry run: ' });
            await recordMigration(tx, migration, { executionMs: 0, success: true });
          } catch (error) {
            throw migrationFailure(migration, error, 'dry run: ');
          }
          const durationMs = performance.now() - started;
          this.options.onEvent?.({ type: 'migration-done', migration, durationMs });
          applied.push({ ...summary(migration, durationMs), ...(roles ? { roles } : {}) });
        }
        const rolesReapplied = applied.some((m) => m.roles !== undefined);
        return { dryRun: true, applied, notApplied, upToDate: notApplied.length === 0, rolesReapplied };
      },
      { rollback: true },
    );
  }
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

function migrationFailure(migration: Migration, error: unknown, prefix = ''): PersistorError {
  if (error instanceof PersistorError) return error;
  const { message, details } = describeSqlError(error, migration.sql);
  const rolledBack = migration.transactional
    ? 'rolled back: nothing of it was applied'
    : 'it ran without a transaction, so part of it may be applied; fix by hand, then run `repair`';
  return new PersistorError('MIGRATION_FAILED', `${prefix}migration ${migration.script} failed${message}`, {
    details: [...details, rolledBack],
    cause: error,
  });
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
