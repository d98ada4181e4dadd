/**
 * Compares the migration files with the journal: what is applied, pending,
 * edited since it was applied, or otherwise in need of attention.
 */
import { compareVersions, type Migration } from './files.js';
import type { JournalEntry } from './journal.js';
import { inDeploymentOrder } from './order.js';

/** Where one migration stands, comparing its file with the journal. */
export type MigrationState =
  | 'applied' // versioned, or repeatable whose checksum matches
  | 'baselined' // recorded by `baseline`, never run by this tool
  | 'pending' // not applied yet
  | 'outdated' // repeatable whose file changed since it was applied: will be re-applied
  | 'checksum_mismatch' // versioned file edited after it was applied: refused
  | 'failed' // a no-transaction migration failed part-way: needs repair
  | 'out_of_order' // pending, but a later version is already applied: refused
  | 'missing'; // in the journal, no longer among the files

/** One migration (a file, or a journal row whose file is gone) and where it stands. */
export interface MigrationStatus {
  type: Migration['type'];
  version: string | null;
  description: string;
  script: string;
  state: MigrationState;
  /** The checksum of the file (absent when the file is missing). */
  checksum: string | null;
  /** The checksum recorded in the journal (absent when never applied). */
  appliedChecksum: string | null;
  appliedAt: Date | null;
  executionMs: number | null;
  installedBy: string | null;
}

/**
 * Everything `status`, `validate` and `migrate` need to know, from {@link computePlan}.
 *
 * @example
 * ```ts
 * const plan = await new Migrator({ db, migrationsDir: 'migrations', lockTimeoutMs: 10_000 }).status();
 * for (const migration of plan.pending) console.log(`pending: ${migration.script}`);
 * ```
 */
export interface Plan {
  statuses: MigrationStatus[];
  /** What `migrate` would apply, in order (before --target is considered). */
  pending: Migration[];
  /** Repeatables in their dependency order. */
  repeatables: Migration[];
  /** Problems that make `validate`/`migrate` refuse (exit 5). */
  problems: string[];
  /** Worth saying, not worth refusing for. */
  warnings: string[];
}

function latestBy<K>(entries: readonly JournalEntry[], keyOf: (entry: JournalEntry) => K | undefined): Map<K, JournalEntry> {
  const latest = new Map<K, JournalEntry>();
  for (const entry of entries) {
    const key = keyOf(entry);
    if (key !== undefined) latest.set(key, entry);
  }
  return latest;
}

function statusOf(migration: Migration, state: MigrationState, entry: JournalEntry | undefined): MigrationStatus {
  return {
    type: migration.type,
    version: migration.version ?? null,
    description: migration.description,
    script: migration.script,
    state,
    checksum: migration.checksum,
    appliedChecksum: entry?.checksum ?? null,
    appliedAt: entry?.installedAt ?? null,
    executionMs: entry?.executionMs ?? null,
    installedBy: entry?.installedBy ?? null,
  };
}

/**
 * What to do after a no-transaction migration failed having applied `applied`
 * of its statements: `repair` forgets the failure and `migrate` then runs the
 * whole file again, so what stayed applied must be undone or made safe to re-run.
 *
 * @example
 * ```ts
 * rerunAdvice(1); // 'statement 1 stayed applied: undo it by hand or make it safe to run again …'
 * ```
 */
export function rerunAdvice(applied: number | undefined): string {
  const then = 'then run `repair` and `migrate`, which runs the whole file again from its first statement';
  if (applied === undefined) return `fix the database by hand and the file, ${then}`;
  if (applied === 0) return `nothing of it was applied: fix the file, ${then}`;
  const which = applied === 1 ? 'statement 1 stayed applied: undo it' : `statements 1-${applied} stayed applied: undo them`;
  return `${which} by hand or make ${applied === 1 ? 'it' : 'them'} safe to run again (IF NOT EXISTS, OR REPLACE), fix the file, ${then}`;
}

function failedProblem(migration: Migration, entry: JournalEntry): string {
  const where = entry.failure ? ` at ${entry.failure}` : '';
  return `${migration.script}: failed part-way in an earlier run (no transaction)${where}; ${rerunAdvice(entry.statementsApplied)}`;
}

/**
 * Compares the files with the journal: each migration's state, what is pending
 * (versioned in version order, then repeatables in dependency order) and the
 * problems that make `migrate` refuse. Pure: it reads nothing.
 *
 * @example
 * ```ts
 * const plan = computePlan(await loadMigrations('migrations'), await readJournal(db));
 * ```
 */
export function computePlan(migrations: readonly Migration[], journal: readonly JournalEntry[]): Plan {
  const versionedEntries = latestBy(journal, (e) => (e.type !== 'repeatable' && e.version !== null ? e.version : undefined));
  const repeatableEntries = latestBy(journal, (e) => (e.type === 'repeatable' && e.success ? e.description : undefined));
  const failedRepeatables = latestBy(journal, (e) => (e.type === 'repeatable' && !e.success ? e.description : undefined));
  const appliedVersions = [...versionedEntries.values()].filter((e) => e.success).map((e) => e.version!);
  const highestApplied = appliedVersions.sort(compareVersions).at(-1);

  const statuses: MigrationStatus[] = [];
  const pending: Migration[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];

  const planVersioned = (migration: Migration): void => {
    const entry = versionedEntries.get(migration.version!);
    let state: MigrationState;
    if (!entry) {
      state = highestApplied !== undefined && compareVersions(migration.version!, highestApplied) < 0 ? 'out_of_order' : 'pending';
    } else if (!entry.success) state = 'failed';
    else if (entry.checksum !== migration.checksum) state = 'checksum_mismatch';
    else state = entry.type === 'baseline' ? 'baselined' : 'applied';
    statuses.push(statusOf(migration, state, entry));

    if (state === 'pending') pending.push(migration);
    if (state === 'out_of_order') {
      problems.push(
        `${migration.script}: version ${migration.version} is pending but the later version ${highestApplied} is already applied`,
      );
    }
    if (state === 'failed') problems.push(failedProblem(migration, entry!));
    if (state === 'checksum_mismatch') {
      problems.push(
        `${migration.script}: edited after it was applied (applied checksum ${entry!.checksum}, file checksum ${migration.checksum}); restore the file, or accept the edit with \`repair\``,
      );
    }
  };

  const planRepeatable = (migration: Migration): void => {
    const entry = repeatableEntries.get(migration.description);
    const failed = failedRepeatables.get(migration.description);
    const failedLater = failed && (!entry || failed.installedRank > entry.installedRank);
    const state: MigrationState = failedLater
      ? 'failed'
      : !entry
        ? 'pending'
        : entry.checksum === migration.checksum
          ? 'applied'
          : 'outdated';
    statuses.push(statusOf(migration, state, entry));
    if (state === 'pending' || state === 'outdated') pending.push(migration);
    if (state === 'failed') problems.push(failedProblem(migration, failed!));
  };

  const repeatables: Migration[] = [];
  for (const migration of inDeploymentOrder(migrations)) {
    if (migration.type === 'versioned') planVersioned(migration);
    else {
      repeatables.push(migration);
      planRepeatable(migration);
    }
  }

  const known = new Set(migrations.map((m) => (m.type === 'versioned' ? `v:${m.version}` : `r:${m.description}`)));
  for (const entry of [...versionedEntries.values(), ...repeatableEntries.values()]) {
    const key = entry.type === 'repeatable' ? `r:${entry.description}` : `v:${entry.version}`;
    if (known.has(key)) continue;
    warnings.push(`${entry.script}: recorded as applied, but no such migration file exists any more`);
    statuses.push({
      type: entry.type === 'repeatable' ? 'repeatable' : 'versioned',
      version: entry.version,
      description: entry.description,
      script: entry.script,
      state: 'missing',
      checksum: null,
      appliedChecksum: entry.checksum,
      appliedAt: entry.installedAt,
      executionMs: entry.executionMs,
      installedBy: entry.installedBy,
    });
  }

  return { statuses, pending, repeatables, problems, warnings };
}
