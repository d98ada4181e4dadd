/** Every configuration key, its type, default and meaning — validated up front with zod. */
// The Zod 3 API (kept in the zod package for good at this subpath) loads in ~25 ms where Zod 4's takes ~110 ms,
// which every CLI run pays: a no-op `migrate` is meant to take well under half a second.
import { z } from 'zod/v3';
import { clusterConfigSchema } from './cluster.js';

/** Where the embedded database lives unless configured. */
export const DEFAULT_DATA_DIR = '.ecliptix/db';
const DEFAULT_BACKUP_DIR = '.ecliptix/backups';
/** The config file read from the working directory when present. */
export const CONFIG_FILE_NAME = 'ecliptix-persistor.config.json';

const databaseUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'must be a URL like postgres://user:password@host:5432/database' },
);

/**
 * A retention period of the clean-up (`retentionDays`, `eventLogRetentionDays`,
 * `failedAttemptRetentionDays`, `limitGuardRetentionDays`): whole days, at
 * least 1, at most 36500. The one definition of these bounds: the
 * configuration and `cleanup`'s options are both checked against it.
 */
export const retentionDaysSchema = z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(36_500);

/** Every configuration key with its type, bounds and default. */
export const configSchema = z
  .object({
    /** PostgreSQL server to use; when absent, the embedded PGlite database in dataDir is used. */
    databaseUrl: databaseUrl.optional(),
    /** Directory of the embedded PGlite database. */
    dataDir: z.string().min(1, 'must not be empty').default(DEFAULT_DATA_DIR),
    /** Folder of migrations; defaults to the EcliptixMemberships schema shipped with the package. */
    migrationsDir: z.string().min(1, 'must not be empty').optional(),
    /** How long to wait for a server connection before giving up. */
    connectTimeoutMs: z.number().int('must be a whole number of milliseconds').min(1).max(600_000).default(10_000),
    /** How long to wait for another migrator run (or process holding the embedded database). */
    lockTimeoutMs: z.number().int('must be a whole number of milliseconds').min(0).max(3_600_000).default(60_000),
    /** Diagnostics on stderr. */
    logLevel: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('warn'),
    /** Clean-up: age in days after which finished rows go (default: the database's retention_days setting, 30). */
    retentionDays: retentionDaysSchema.optional(),
    /** Clean-up: age in days after which event_log rows go (default: the database's event_log_retention_days setting, 90). */
    eventLogRetentionDays: retentionDaysSchema.optional(),
    /** Clean-up: age in days after which failed login and membership attempts go (default: the database's failed_attempt_retention_days setting, 90). */
    failedAttemptRetentionDays: retentionDaysSchema.optional(),
    /** Clean-up: days unused after which a limit guard row goes (default: the database's limit_guard_retention_days setting, 1). */
    limitGuardRetentionDays: retentionDaysSchema.optional(),
    /** Where `backup` and `migrate --backup` write when no --output is given. */
    backupDir: z.string().min(1, 'must not be empty').default(DEFAULT_BACKUP_DIR),
    /**
     * A PL/Proxy cluster instead of one database (docs/SCALE-OUT.md): the proxy's URL, the partitions' URLs in
     * partition order, … Config file (or programmatic options) only; not together with databaseUrl.
     */
    cluster: clusterConfigSchema.optional(),
  })
  .strict();

/** Validated configuration with every default filled in. */
export type Config = z.output<typeof configSchema>;
/** Configuration as given (programmatic options, a config file): every key optional. */
export type ConfigInput = z.input<typeof configSchema>;
/** A configuration key. */
export type ConfigKey = keyof Config;

/** Every key the configuration knows, for messages. */
export const configKeys: readonly ConfigKey[] = Object.keys(configSchema.shape) as ConfigKey[];

/** Environment variable for each key that has one (`cluster` is set in the config file only). */
export const environmentVariables: Partial<Record<ConfigKey, string>> = {
  databaseUrl: 'DATABASE_URL',
  dataDir: 'ECLIPTIX_DATA_DIR',
  migrationsDir: 'ECLIPTIX_MIGRATIONS_DIR',
  connectTimeoutMs: 'ECLIPTIX_CONNECT_TIMEOUT_MS',
  lockTimeoutMs: 'ECLIPTIX_LOCK_TIMEOUT_MS',
  logLevel: 'ECLIPTIX_LOG_LEVEL',
  retentionDays: 'ECLIPTIX_RETENTION_DAYS',
  eventLogRetentionDays: 'ECLIPTIX_EVENT_LOG_RETENTION_DAYS',
  failedAttemptRetentionDays: 'ECLIPTIX_FAILED_ATTEMPT_RETENTION_DAYS',
  limitGuardRetentionDays: 'ECLIPTIX_LIMIT_GUARD_RETENTION_DAYS',
  backupDir: 'ECLIPTIX_BACKUP_DIR',
};

/** The command-line flag for each key that has one. */
export const flagNames: Partial<Record<ConfigKey, string>> = {
  databaseUrl: '--database-url',
  dataDir: '--data-dir',
  migrationsDir: '--migrations',
  connectTimeoutMs: '--connect-timeout',
  lockTimeoutMs: '--lock-timeout',
  logLevel: '--log-level',
  retentionDays: '--retention-days',
  eventLogRetentionDays: '--event-log-retention-days',
  failedAttemptRetentionDays: '--failed-attempt-retention-days',
  limitGuardRetentionDays: '--limit-guard-retention-days',
};

/** Keys whose flag and environment values are numbers in text. */
/**
 * A configuration that names both one database and a cluster: which to drop, or undefined when it is fine.
 * `origins` says where each value came from (a flag, a variable, the file).
 */
export function conflictOf(
  config: Pick<Config, 'databaseUrl' | 'cluster'>,
  origins: Partial<Record<ConfigKey, string>> = {},
): string | undefined {
  if (config.databaseUrl === undefined || config.cluster === undefined) return undefined;
  const from = (key: ConfigKey) => (origins[key] ? ` (from ${origins[key]})` : '');
  return (
    `invalid configuration: databaseUrl${from('databaseUrl')} and cluster${from('cluster')} are both set — ` +
    'drop databaseUrl to work on the cluster (its proxy and partitions are in cluster), or drop cluster to work on that one database'
  );
}

export const numericKeys: ReadonlySet<ConfigKey> = new Set([
  'connectTimeoutMs',
  'lockTimeoutMs',
  'retentionDays',
  'eventLogRetentionDays',
  'failedAttemptRetentionDays',
  'limitGuardRetentionDays',
]);
/** Keys that name paths: relative values in a config file are relative to that file. */
export const pathKeys: ReadonlySet<ConfigKey> = new Set(['dataDir', 'migrationsDir', 'backupDir']);
