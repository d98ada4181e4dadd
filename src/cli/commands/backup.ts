/** The `backup` command line. */
import type { Command } from 'commander';
import { backup } from '../../commands/backup.js';
import type { CliContext } from '../context.js';
import { describeBackup } from '../print.js';

/** Adds the command, its options and its printing to the program. */
export function registerBackupCommand(program: Command, cli: CliContext): void {
  program
    .command('backup')
    .description(
      'write a restorable backup: pg_dump --format=custom of the whole database for a server (client tools matching its version), the data directory as .tar.gz for the embedded database',
    )
    .option(
      '-o, --output <file>',
      'where to write (default <backupDir>/<timestamp>.dump or .tar.gz; backupDir: env ECLIPTIX_BACKUP_DIR, default .ecliptix/backups); never overwrites',
    )
    .option('--pg-bin <dir>', 'directory holding pg_dump (default: /usr/lib/postgresql/<server major>/bin, else PATH)')
    .option('--json', 'print one JSON document')
    .action(async (options: { output?: string; pgBin?: string }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const result = await backup({
        ...config,
        ...(options.output ? { output: options.output } : {}),
        ...(options.pgBin ? { pgBin: options.pgBin } : {}),
      });
      if (output.json) return output.document(result);
      output.line(`${output.style.ok('backed up')} ${result.target} to ${describeBackup(result)}`);
    });
}
