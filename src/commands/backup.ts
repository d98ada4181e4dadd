/** `backup`: a restorable copy of the database — pg_dump (custom format) for a server, PGlite's data-directory dump for the embedded one. */
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { PersistorError } from '../errors.js';
import { backupDatabase, type BackupOptions, type BackupResult } from '../operations/backup.js';
import { formatDuration } from '../util/format.js';
import { resolveConfig, type PersistorOptions } from './runtime.js';

export interface BackupCommandOptions extends PersistorOptions, BackupOptions {}

export type { BackupResult };

export async function backup(options: BackupCommandOptions = {}): Promise<BackupResult> {
  const { output, pgBin, db, logger: _logger, ...rest } = options;
  if (db) throw new PersistorError('INVALID_ARGUMENT', 'backup opens the database itself: pass databaseUrl or dataDir, not an open db');
  const config = resolveConfig(rest);
  return backupDatabase(config, { ...(output ? { output } : {}), ...(pgBin ? { pgBin } : {}) });
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function describeBackup(result: BackupResult): string {
  const how = result.format === 'pg_dump-custom' ? `pg_dump custom format, ${result.tool}` : 'PGlite data directory, tar.gz';
  return `${result.file} (${formatBytes(result.bytes)}, ${how}) in ${formatDuration(result.durationMs)}`;
}

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
