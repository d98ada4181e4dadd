/** The `migrate` command line: one progress line per migration, with --dry-run the plan's SQL. */
import { Option, type Command } from 'commander';
import { migrateCluster, type ClusterMigrateEvent } from '../../commands/cluster-migrate.js';
import { migrate } from '../../commands/migrate.js';
import { PersistorError } from '../../errors.js';
import type { MigratorEvent } from '../../migrator/migrator.js';
import { formatDuration } from '../../util/format.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { describeBackup } from '../print.js';

/** `migrate` on a cluster: a line per partition and one for the proxy; with --dry-run what each would get. */
async function migrateClusterCli(output: Output, options: Parameters<typeof migrateCluster>[0], dryRun: boolean): Promise<void> {
  const s = output.style;
  const onEvent = (event: ClusterMigrateEvent): void => {
    if (output.json) return;
    if (event.type === 'partition-start') output.line(`partition ${event.index} (${event.target}): deploying…`);
    else if (event.type === 'partition-done')
      output.line(`${s.ok('deployed')}  partition ${event.index} (${event.target}): ${event.migrationsApplied} migration(s) applied`);
    else if (event.type === 'proxy-done')
      output.line(
        `${s.ok('deployed')}  proxy (${event.target}): ${event.generated === 'applied' ? 'routines and partition definitions generated' : 'unchanged'}`,
      );
    else if (event.event.type === 'migration-done')
      output.line(
        `  ${s.ok('would apply')}  partition ${event.index}: ${event.event.migration.script}  ${s.dim(formatDuration(event.event.durationMs))}`,
      );
    else if (event.event.type === 'migration-skipped')
      output.line(`  ${s.warn('not proven')}  partition ${event.index}: ${event.event.migration.script}  ${s.dim(event.event.reason)}`);
  };
  if (dryRun) {
    const plan = await migrateCluster({ ...options, dryRun: true, onEvent });
    if (output.json) return output.document(plan);
    for (const p of plan.partitions) {
      const identity = p.identity === 'claim' ? `would be claimed as partition ${p.index} of ${plan.partitions.length}` : 'confirmed';
      output.line(
        `partition ${p.index} (${p.target}): ${p.upToDate ? 'up to date' : `${p.wouldApply.length} migration(s) would apply`}; identity ${identity}; generated part ${p.generated}`,
      );
    }
    output.line(`proxy (${plan.proxy.target}): ${plan.proxy.action}`);
    output.line(
      plan.upToDate
        ? 'dry run: nothing to apply; the cluster is up to date'
        : `${s.ok('dry run succeeded')}: ${plan.migrationsPending} migration(s) would apply over ${plan.partitions.length} partition(s); everything was rolled back, nothing changed`,
    );
    return;
  }
  const report = await migrateCluster({ ...options, dryRun: false, onEvent });
  if (output.json) return output.document(report);
  output.line(
    `${s.ok('done')}: ${report.migrationsApplied} migration(s) applied over ${report.partitions.length} partition(s); proxy ${report.proxy.generated}; ${report.routines.length} routines routed`,
  );
}

/** Adds the command, its options and its printing to the program. */
export function registerMigrateCommand(program: Command, cli: CliContext): void {
  program
    .command('migrate')
    .description(
      'apply pending migrations, each in its own transaction, under a database-wide lock; with a cluster configured, deploy every partition and the proxy',
    )
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
      if (config.cluster) {
        if (options.target !== undefined)
          throw new PersistorError('INVALID_ARGUMENT', 'migrate --target is for one database: a cluster is deployed whole (drop --target)');
        if (options.backup !== undefined)
          throw new PersistorError(
            'INVALID_ARGUMENT',
            'migrate --backup is for one database: back up the cluster with `backup` first, then migrate (drop --backup)',
          );
        return migrateClusterCli(output, { ...config, logger: cli.logger }, options.dryRun === true);
      }
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
