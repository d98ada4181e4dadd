/** The `backup` command line. */
import type { Command } from 'commander';
import { backup, clusterBackup } from '../../commands/backup.js';
import { formatDuration } from '../../util/format.js';
import { PersistorError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { parseWhole } from '../progress.js';
import { describeBackup } from '../print.js';
import { formatBytes } from '../../util/format.js';

/** Adds the command, its options and its printing to the program. */
export function registerBackupCommand(program: Command, cli: CliContext): void {
  program
    .command('backup')
    .description(
      'write a restorable backup: pg_dump --format=custom of the whole database for a server (client tools matching its version), the data directory as .tar.gz for the embedded database',
    )
    .option(
      '-o, --output <file>',
      'where to write (default <backupDir>/<timestamp>.dump or .tar.gz; backupDir: env ECLIPTIX_BACKUP_DIR, default .ecliptix/backups; on a cluster the directory to create, default <backupDir>/<timestamp>-cluster); never overwrites',
    )
    .option('--pg-bin <dir>', 'directory holding pg_dump (default: /usr/lib/postgresql/<server major>/bin, else PATH)')
    .option(
      '--partition <indexes>',
      'on a cluster: back up only these partitions (comma-separated indexes), not the proxy — the copy step of moving a partition',
    )
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nOn a cluster (the config file\'s "cluster" key): one directory with p0.dump, p1.dump, … (each partition, restorable with `restore <file>`), proxy.dump and manifest.json (the partition order, identities and sizes); all or nothing, naming the database that failed.',
    )
    .action(async (options: { output?: string; pgBin?: string; partition?: string }, command: Command) => {
      const partitions = options.partition?.split(',').map((part) => {
        const index = parseWhole('--partition', part.trim());
        if (index === undefined) throw new PersistorError('INVALID_ARGUMENT', '--partition must list partition indexes, e.g. 1 or 0,2');
        return index;
      });
      const { config, output } = cli.prepare(command);
      if (partitions && !config.cluster)
        throw new PersistorError('INVALID_ARGUMENT', '--partition is for a cluster (the config file\'s "cluster" key)');
      if (config.cluster) {
        const result = await clusterBackup({
          ...config,
          ...(partitions ? { partitions } : {}),
          ...(options.output ? { output: options.output } : {}),
          ...(options.pgBin ? { pgBin: options.pgBin } : {}),
        });
        if (output.json) return output.document(result);
        const { manifest } = result;
        output.line(
          `${output.style.ok('backed up')} ${
            manifest.proxy
              ? `the cluster (${manifest.partitionCount} partitions and the proxy)`
              : `partition(s) ${manifest.partitions.map((p) => p.index).join(', ')}`
          } to ${result.directory}`,
        );
        for (const p of manifest.partitions)
          output.line(`  ${p.file}  partition ${p.identity.index} of ${p.identity.count}  ${p.target}  ${formatBytes(p.bytes)}`);
        if (manifest.proxy) output.line(`  ${manifest.proxy.file}  proxy  ${manifest.proxy.target}  ${formatBytes(manifest.proxy.bytes)}`);
        output.line(`  manifest.json  (${formatBytes(result.bytes)} in all, ${formatDuration(result.durationMs)})`);
        return;
      }
      const result = await backup({
        ...config,
        ...(options.output ? { output: options.output } : {}),
        ...(options.pgBin ? { pgBin: options.pgBin } : {}),
      });
      if (output.json) return output.document(result);
      output.line(`${output.style.ok('backed up')} ${result.target} to ${describeBackup(result)}`);
    });
}
