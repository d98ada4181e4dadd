/** The command-line program: global options and one subcommand per verb. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { CONFIG_FILE_NAME, DEFAULT_DATA_DIR } from '../config/schema.js';
import { PersistorError } from '../errors.js';
import type { CliContext } from './context.js';

/** The package version. */
export const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

type RegisterCommand = (program: Command, cli: CliContext) => void;

/**
 * Every command, in the order `--help` lists them, each loaded on demand: a
 * run of one command loads only that command's modules (and so not PGlite,
 * libphonenumber or pg_dump handling for a `migrate`), which is most of a
 * no-op run's wall time.
 */
const commandLoaders: Record<string, () => Promise<RegisterCommand>> = {
  test: async () => (await import('./commands/test-connection.js')).registerTestCommand,
  status: async () => (await import('./commands/status.js')).registerStatusCommand,
  migrate: async () => (await import('./commands/migrate.js')).registerMigrateCommand,
  validate: async () => (await import('./commands/validate.js')).registerValidateCommand,
  baseline: async () => (await import('./commands/baseline.js')).registerBaselineCommand,
  repair: async () => (await import('./commands/repair.js')).registerRepairCommand,
  sql: async () => (await import('./commands/sql.js')).registerSqlCommand,
  verify: async () => (await import('./commands/verify.js')).registerVerifyCommand,
  cleanup: async () => (await import('./commands/cleanup.js')).registerCleanupCommand,
  health: async () => (await import('./commands/health.js')).registerHealthCommand,
  metrics: async () => (await import('./commands/metrics.js')).registerMetricsCommand,
  report: async () => (await import('./commands/report.js')).registerReportCommand,
  maintain: async () => (await import('./commands/maintain.js')).registerMaintainCommand,
  audit: async () => (await import('./commands/audit.js')).registerAuditCommand,
  backup: async () => (await import('./commands/backup.js')).registerBackupCommand,
  restore: async () => (await import('./commands/restore.js')).registerRestoreCommand,
  roles: async () => (await import('./commands/roles.js')).registerRolesCommand,
  'rotate-keys': async () => (await import('./commands/rotate-keys.js')).registerRotateKeysCommand,
  import: async () => (await import('./commands/import.js')).registerImportCommand,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctorCommand,
};

/** Every command, in the order `--help` lists them. */
export const commandNames: readonly string[] = Object.keys(commandLoaders);

/** Global options that take a value as the next argument (`--opt=value` and `-svalue` need no special case). */
const globalOptionsWithValue = new Set([
  '-s',
  '--database-url',
  '--data-dir',
  '--config',
  '--migrations',
  '--connect-timeout',
  '--lock-timeout',
  '--log-level',
]);

/**
 * The seed's command line (`-c status`, `-c migrate -d`) as a verb: `-c <name>`
 * / `--command <name>` before the command becomes that command, so both
 * spellings run the same code. `-c` named the config file before 0.2: a value
 * that is not a command but looks like a file says so, and a `-c` after the
 * command (`migrate -c prod.json`, which once chose the config file) is refused
 * rather than ignored, so an old script never runs against another database.
 */
export function seedCommandLine(args: readonly string[]): string[] {
  const out = seedCommandFirst(args);
  const end = out.indexOf('--');
  const late = (end === -1 ? out : out.slice(0, end)).find(isCommandFlag);
  if (late !== undefined) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `${late.split('=')[0]!.slice(0, 2) === '-c' ? '-c' : '--command'} names the command and goes before it (-c status, -c migrate -d); for a config file use --config <file>`,
    );
  }
  return out;
}

/** `-c<name>` / `--command=<name>`: the command named in the same argument. */
const INLINE_COMMAND = /^(?:-c(.+)|--command=(.*))$/;

function isCommandFlag(arg: string): boolean {
  return arg === '-c' || arg === '--command' || INLINE_COMMAND.test(arg);
}

function seedCommandFirst(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--' || !arg.startsWith('-')) {
      out.push(...args.slice(i));
      break;
    }
    const inline = INLINE_COMMAND.exec(arg);
    if (isCommandFlag(arg)) {
      const value = inline ? (inline[1] ?? inline[2])! : args[i + 1];
      if (!inline) i += 1;
      if (value === undefined || value === '' || value.startsWith('-')) {
        throw new PersistorError('INVALID_ARGUMENT', `${arg} needs a command name, e.g. -c status or -c migrate -d`);
      }
      if (!commandNames.includes(value) && value !== 'help') {
        const hint = /\.json$|[\\/]/.test(value) ? `; -c names the command now, the config file is --config ${value}` : '';
        throw new PersistorError(
          'INVALID_ARGUMENT',
          `unknown command ${JSON.stringify(value)} for -c (one of: ${commandNames.join(', ')})${hint}`,
        );
      }
      out.push(value, ...args.slice(i + 1));
      break;
    }
    out.push(arg);
    if (globalOptionsWithValue.has(arg) && i + 1 < args.length) out.push(args[(i += 1)]!);
  }
  return out;
}

/** The command named on the command line (the first argument that is not a global option or its value), if any. */
export function invokedCommand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-')) return arg;
    if (globalOptionsWithValue.has(arg)) i += 1;
  }
  return undefined;
}

/**
 * The program with the command named in `args` registered, or with every
 * command when none (or an unknown one, or `help`) is named, so that help and
 * "did you mean" suggestions list them all.
 */
export async function buildProgram(cli: CliContext, args: readonly string[] = []): Promise<Command> {
  const named = invokedCommand(args);
  const wanted = named !== undefined && named in commandLoaders ? [named] : commandNames;
  const registrars = await Promise.all(wanted.map((name) => commandLoaders[name]!()));
  const program = new Command('ecliptix-persistor')
    .description('Deploys and operates the Ecliptix memberships database on PostgreSQL or embedded PGlite.')
    .option('-s, --database-url <url>', 'PostgreSQL server URL (env DATABASE_URL); without one, the embedded PGlite database is used')
    .option('--data-dir <dir>', `embedded database directory (env ECLIPTIX_DATA_DIR; default ${DEFAULT_DATA_DIR})`)
    .option(
      '-c, --command <name>',
      "the command to run, as the seed's command line writes it: -c status, -c migrate -d (dry run), -c migrate",
    )
    .option('--config <file>', `JSON config file (default ./${CONFIG_FILE_NAME} when present)`)
    .option('--migrations <dir>', 'migrations folder (env ECLIPTIX_MIGRATIONS_DIR; default: the shipped EcliptixMemberships schema)')
    .option('--connect-timeout <ms>', 'give up connecting after this long (env ECLIPTIX_CONNECT_TIMEOUT_MS; default 10000)')
    .option('--lock-timeout <ms>', 'wait this long for another migrator run or process (env ECLIPTIX_LOCK_TIMEOUT_MS; default 60000)')
    .addOption(
      new Option('--log-level <level>', 'diagnostics on stderr (env ECLIPTIX_LOG_LEVEL; default warn)').choices([
        'silent',
        'error',
        'warn',
        'info',
        'debug',
      ]),
    )
    .option('-v, --verbose', 'same as --log-level debug')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
-V, --version prints the version.
Configuration precedence: flags > environment > config file > defaults.
Exit codes: 0 success, 1 general error, 2 invalid arguments or configuration,
3 connection error, 4 migration error, 5 validation error;
health: 6 when its worst finding is WARN, 7 when it is CRIT.`,
    );

  for (const register of registrars) register(program, cli);
  return program;
}
