/** `restore <file>`: put a backup back, all or nothing (the server in one transaction; the embedded directory swapped in whole). */
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { PersistorError } from '../errors.js';
import { restoreDatabase, type RestoreOptions, type RestoreResult } from '../operations/restore.js';
import { formatDuration, table } from '../util/format.js';
import { resolveConfig, type PersistorOptions } from './runtime.js';

export interface RestoreCommandOptions extends PersistorOptions, RestoreOptions {}

export type { RestoreResult };

export async function restore(options: RestoreCommandOptions): Promise<RestoreResult> {
  const { file, force, pgBin, db, logger: _logger, ...rest } = options;
  if (db) throw new PersistorError('INVALID_ARGUMENT', 'restore opens the database itself: pass databaseUrl or dataDir, not an open db');
  if (!file) throw new PersistorError('INVALID_ARGUMENT', 'restore needs the backup file to restore');
  const config = resolveConfig(rest);
  return restoreDatabase(config, { file, force: force === true, ...(pgBin ? { pgBin } : {}) });
}

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
