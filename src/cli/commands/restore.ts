/** The `restore <file>` command line. */
import type { Command } from 'commander';
import { restore } from '../../commands/restore.js';
import { formatDuration, table } from '../../util/format.js';
import type { CliContext } from '../context.js';

/** Adds the command, its options and its printing to the program. */
export function registerRestoreCommand(program: Command, cli: CliContext): void {
  program
    .command('restore')
    .description(
      'restore a backup made by `backup` (or `migrate --backup`): a pg_dump archive to a server in one transaction, a .tar.gz to the embedded database directory',
    )
    .argument('<file>', 'the backup file')
    .option('-f, --force', 'replace a database that already holds the memberships schema or a migration journal')
    .option('--pg-bin <dir>', 'directory holding pg_restore (default: /usr/lib/postgresql/<server major>/bin, else PATH)')
    .option('--json', 'print one JSON document')
    .action(async (file: string, options: { force?: boolean; pgBin?: string }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const result = await restore({ ...config, file, force: options.force === true, ...(options.pgBin ? { pgBin: options.pgBin } : {}) });
      if (output.json) return output.document(result);
      output.line(
        `${output.style.ok('restored')} ${result.file} to ${result.target}${result.replaced ? ' (replacing what was there)' : ''} in ${formatDuration(result.durationMs)}`,
      );
      if (result.tables.length > 0)
        output.line(
          table(
            ['TABLE', 'ROWS'],
            result.tables.map((t) => [t.table, String(t.rows)]),
          ),
        );
    });
}
