/** `migrate`: apply what is pending (or prove it with --dry-run), one progress line per migration. */
import { Option, type Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { PersistorError } from '../errors.js';
import { Migrator, parseTarget, type MigrateResult, type MigratorEvent } from '../migrator/migrator.js';
import { backupDatabase, type BackupResult } from '../operations/backup.js';
import { formatDuration } from '../util/format.js';
import { describeBackup } from './backup.js';
import { resolveConfig, withRuntime, type PersistorOptions } from './runtime.js';

export interface MigrateCommandOptions extends PersistorOptions {
  /** Stop after this version. */
  target?: string;
  /** Run the plan in a transaction that is rolled back; nothing changes. */
  dryRun?: boolean;
  onEvent?: (event: MigratorEvent) => void;
  /**
   * Back up the database first when there is something to apply: `true` for
   * the default location (<backupDir>/<timestamp>.dump|.tar.gz), or a file.
   */
  backup?: boolean | string;
  /** Directory of pg_dump for the backup (default: found by server version). */
  pgBin?: string;
  onBackup?: (backup: BackupResult) => void;
}

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
  const result = await withRuntime(rest, async ({ db, config, migrationsDir, logger }) => {
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
  });
  return taken ? { ...result, backup: taken } : result;
}

export function registerMigrateCommand(program: Command, cli: CliContext): void {
  program
    .command('migrate')
    .description('apply pending migrations, each in its own transaction, under a database-wide lock')
    .option('-t, --target <version>', 'apply versioned migrations up to and including this version only')
    .addOption(
      new Option(
        '-d, --dry-run',
        'print the plan and its SQL, run it in a transaction that is rolled back, report whether it would succeed',
      ),
    )
    .option(
      '-b, --backup [file]',
      'first back up the database when something will be applied (pg_dump / PGlite dump; default <backupDir>/<timestamp>.dump|.tar.gz)',
    )
    .option('--pg-bin <dir>', 'directory holding pg_dump for --backup (default: /usr/lib/postgresql/<server major>/bin, else PATH)')
    .option('--json', 'print one JSON document')
    .action(async (options: { target?: string; dryRun?: boolean; backup?: boolean | string; pgBin?: string }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const s = output.style;
      if (options.backup !== undefined && options.dryRun)
        output.warn('--backup is not needed with --dry-run (nothing changes): no backup taken');
      const onEvent = (event: MigratorEvent): void => {
        if (output.json) return;
        const name = event.migration.script;
        if (event.type === 'migration-start' && options.dryRun) {
          output.line(s.bold(`-- ${name}`));
          output.line(event.migration.sql.trimEnd());
          output.line();
        } else if (event.type === 'migration-done') {
          output.line(`${options.dryRun ? s.ok('would apply') : s.ok('applied')}  ${name}  ${s.dim(formatDuration(event.durationMs))}`);
        } else if (event.type === 'migration-skipped') {
          output.line(`${s.warn('not proven')}  ${name}  ${s.dim(event.reason)}`);
        }
      };
      const result = await migrate({
        ...config,
        logger: cli.logger,
        onEvent,
        ...(options.target === undefined ? {} : { target: options.target }),
        dryRun: options.dryRun === true,
        ...(options.backup === undefined ? {} : { backup: options.backup }),
        ...(options.pgBin ? { pgBin: options.pgBin } : {}),
        onBackup: (taken) => {
          if (!output.json) output.line(`${s.ok('backed up')} to ${describeBackup(taken)}`);
        },
      });
      if (output.json) return output.document(result);
      for (const left of result.notApplied) output.line(`${s.dim('left pending')}  ${left.script}  ${s.dim(left.reason)}`);
      const total = result.applied.reduce((sum, m) => sum + m.durationMs, 0);
      if (result.dryRun) {
        output.line(
          result.applied.length === 0
            ? 'dry run: nothing to apply; the database is up to date'
            : `${s.ok('dry run succeeded')}: ${result.applied.length} migration(s) would apply (${formatDuration(total)}); everything was rolled back, nothing changed`,
        );
      } else if (result.applied.length === 0) {
        output.line(result.upToDate ? 'nothing to apply: the database is up to date' : 'nothing to apply up to the target');
      } else {
        output.line(`${s.ok('done')}: ${result.applied.length} migration(s) applied in ${formatDuration(total)} to ${result.target}`);
      }
    });
}
