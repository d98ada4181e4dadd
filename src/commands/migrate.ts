/** `migrate`: apply what is pending (or prove it with --dry-run), one progress line per migration. */
import { PersistorError } from '../errors.js';
import { Migrator, parseTarget, type MigrateResult, type MigratorEvent } from '../migrator/migrator.js';
import { backupDatabase, type BackupResult } from '../operations/backup.js';
import { resolveConfig, withRuntime, type PersistorOptions } from './runtime.js';

/** Options of {@link migrate}: the database, and how far, whether for real, with a backup first, and who is told of each step. */
export interface MigrateCommandOptions extends PersistorOptions {
  /** Stop after this version. */
  target?: string;
  /** Run the plan in a transaction that is rolled back; nothing changes. */
  dryRun?: boolean;
  /** Told as each migration starts, is applied, or is skipped. */
  onEvent?: (event: MigratorEvent) => void;
  /**
   * Back up the database first when there is something to apply: `true` for
   * the default location (<backupDir>/<timestamp>.dump|.tar.gz), or a file.
   */
  backup?: boolean | string;
  /** Directory of pg_dump for the backup (default: found by server version). */
  pgBin?: string;
  /** Told of the backup once it is written. */
  onBackup?: (backup: BackupResult) => void;
}

/**
 * Applies the pending migrations, each in its own transaction, under a
 * database-wide lock, keeping the least-privilege roles applied. With
 * `dryRun` the plan runs in a transaction that is rolled back: nothing
 * changes, and an embedded database that does not exist is not created.
 *
 * @example
 * ```ts
 * import { migrate } from 'ecliptix-persistor'
 *
 * const result = await migrate({ databaseUrl: process.env.DATABASE_URL, backup: true })
 * console.log(`${result.applied.length} migration(s) applied to ${result.target}`)
 * ```
 */
export async function migrate(options: MigrateCommandOptions = {}): Promise<MigrateResult & { target: string; backup?: BackupResult }> {
  const { target, dryRun, onEvent, backup, pgBin, onBackup, ...rest } = options;
  if (target !== undefined) parseTarget(target); // a bad --target fails before anything is opened
  let taken: BackupResult | undefined;
  if (backup && !dryRun) {
    if (rest.db)
      throw new PersistorError(
        'INVALID_ARGUMENT',
        'migrate --backup opens the database itself: pass databaseUrl or dataDir, not an open db',
      );
    // Only when something will be applied (and the plan is valid: otherwise migrate refuses anyway).
    const needed = await withRuntime(rest, async ({ db, config, migrationsDir }) => {
      const plan = await new Migrator({ db, migrationsDir, lockTimeoutMs: config.lockTimeoutMs }).status();
      return plan.pending.length > 0 && plan.problems.length === 0;
    });
    if (needed) {
      taken = await backupDatabase(resolveConfig(rest), {
        ...(typeof backup === 'string' ? { output: backup } : {}),
        ...(pgBin ? { pgBin } : {}),
      });
      onBackup?.(taken);
    }
  }
  const result = await withRuntime(
    rest,
    async ({ db, config, migrationsDir, logger }) => {
      const migrator = new Migrator({
        db,
        migrationsDir,
        lockTimeoutMs: config.lockTimeoutMs,
        onEvent: (event) => {
          if (event.type === 'migration-done')
            logger.info({ script: event.migration.script, durationMs: event.durationMs }, 'migration applied');
          onEvent?.(event);
        },
      });
      // The migrator keeps the least-privilege roles applied inside each migration's transaction (see migrator/keep-roles.ts).
      const result = await migrator.migrate({ ...(target === undefined ? {} : { target }), dryRun: dryRun === true });
      if (result.rolesReapplied) {
        const reapplied = result.applied.filter((m) => m.roles === 'reapplied').map((m) => m.script);
        logger.info({ dryRun: result.dryRun, reappliedAfter: reapplied }, 'least-privilege roles kept applied with each migration');
      }
      return { ...result, target: db.target };
    },
    // A dry run changes nothing: it does not create an embedded database either (exit 3 naming the directory).
    { mustExist: dryRun === true },
  );
  return taken ? { ...result, backup: taken } : result;
}
