/** The command-line program: global options and one subcommand per verb. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { registerBackupCommand } from '../commands/backup.js';
import { registerBaselineCommand } from '../commands/baseline.js';
import { registerCleanupCommand } from '../commands/cleanup.js';
import { registerMigrateCommand } from '../commands/migrate.js';
import { registerRepairCommand } from '../commands/repair.js';
import { registerRestoreCommand } from '../commands/restore.js';
import { registerRolesCommand } from '../commands/roles.js';
import { registerSqlCommand } from '../commands/sql.js';
import { registerStatusCommand } from '../commands/status.js';
import { registerTestCommand } from '../commands/test-connection.js';
import { registerValidateCommand } from '../commands/validate.js';
import { registerVerifyCommand } from '../commands/verify.js';
import { CONFIG_FILE_NAME, DEFAULT_DATA_DIR } from '../config/schema.js';
import type { CliContext } from './context.js';

export const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(cli: CliContext): Command {
  const program = new Command('ecliptix-persistor')
    .description('Deploys and operates the Ecliptix memberships database on PostgreSQL or embedded PGlite.')
    .option('-s, --database-url <url>', 'PostgreSQL server URL (env DATABASE_URL); without one, the embedded PGlite database is used')
    .option('--data-dir <dir>', `embedded database directory (env ECLIPTIX_DATA_DIR; default ${DEFAULT_DATA_DIR})`)
    .option('-c, --config <file>', `JSON config file (default ./${CONFIG_FILE_NAME} when present)`)
    .option('--migrations <dir>', 'migrations folder (env ECLIPTIX_MIGRATIONS_DIR; default: the shipped EcliptixMemberships schema)')
    .option('--connect-timeout <ms>', 'give up connecting after this long (env ECLIPTIX_CONNECT_TIMEOUT_MS; default 10000)')
    .option('--lock-timeout <ms>', 'wait this long for another migrator run or process (env ECLIPTIX_LOCK_TIMEOUT_MS; default 60000)')
    .addOption(new Option('--log-level <level>', 'diagnostics on stderr (env ECLIPTIX_LOG_LEVEL; default warn)').choices(['silent', 'error', 'warn', 'info', 'debug']))
    .option('-v, --verbose', 'same as --log-level debug')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
-V, --version prints the version.
Configuration precedence: flags > environment > config file > defaults.
Exit codes: 0 success, 1 general error, 2 invalid arguments or configuration,
3 connection error, 4 migration error, 5 validation error.`,
    );

  registerTestCommand(program, cli);
  registerStatusCommand(program, cli);
  registerMigrateCommand(program, cli);
  registerValidateCommand(program, cli);
  registerBaselineCommand(program, cli);
  registerRepairCommand(program, cli);
  registerSqlCommand(program, cli);
  registerVerifyCommand(program, cli);
  registerCleanupCommand(program, cli);
  registerBackupCommand(program, cli);
  registerRestoreCommand(program, cli);
  registerRolesCommand(program, cli);
  return program;
}
