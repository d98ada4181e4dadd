/**
 * ecliptix-persistor's programmatic API: the same operations as the CLI,
 * callable from an application at start-up, and the memberships client. It
 * loads no part of the CLI (commander, printing), and the import's modules
 * only when `importDatabase` is called.
 *
 * @example
 * ```ts
 * import { migrate, openMembershipsClient } from 'ecliptix-persistor'
 *
 * await migrate({ databaseUrl: process.env.DATABASE_URL })
 * const client = await openMembershipsClient({ databaseUrl: process.env.DATABASE_URL })
 * ```
 */

// The commands: each takes PersistorOptions (configuration values, or an open `db`) and returns a report.
/** Apply pending migrations (`dryRun` to prove them); see {@link migrate}. */
export { migrate, type MigrateCommandOptions } from './commands/migrate.js';
/** Applied and pending migrations, objects, roles, row counts; see {@link status}. */
export { status, type StatusReport } from './commands/status.js';
/** Applied migrations against their files; see {@link validate}. */
export { validate, type ValidateReport } from './commands/validate.js';
/** Adopt an existing database (or a Flyway-managed one); see {@link baseline}. */
export { baseline, type BaselineReport } from './commands/baseline.js';
/** Accept edited migrations, forget failed runs; see {@link repair}. */
export { repair, type RepairReport } from './commands/repair.js';
/** The deployment script for psql; see {@link sql}. */
export { sql, type SqlCommandOptions } from './commands/sql.js';
/** Can the database be reached, as whom, how fast; see {@link testConnection}. */
export { testConnection, type ConnectionReport } from './commands/test-connection.js';
/** What to attach to an issue report, with the likely cause and fix of each problem recognised; see {@link doctor}. */
export { doctor, type DoctorOptions, type DoctorReport } from './commands/doctor.js';
/** The post-deployment checklist; see {@link verify}. */
export { verify, type VerifyCommandOptions, type VerifyReport } from './commands/verify.js';
/** The retention clean-up; see {@link cleanup}. */
export { cleanup, type CleanupCommandOptions, type CleanupReport } from './commands/cleanup.js';
/** The quarterly health check, OK / WARN / CRIT per finding with its number, threshold and what to do; see {@link health}. */
export {
  health,
  clusterHealth,
  HEALTH_CHECKS,
  HEALTH_CHECK_NAMES,
  parseThresholdOverrides,
  type HealthCommandOptions,
  type HealthReport,
  type HealthFinding,
  type HealthLevel,
  type HealthCheckName,
  type HealthThresholds,
  type CheckThreshold,
  type SizeChange,
  type TableSize,
  type ClusterHealthReport,
  type ClusterHealthMember,
} from './commands/health.js';
/** Prometheus metrics for daily monitoring; see {@link metrics}. */
export { metrics, type MetricsReport } from './commands/metrics.js';
export type { MetricSample } from './operations/metrics.js';
/** The visual report (HTML with charts, Markdown or JSON); see {@link report}. */
export { report, type ReportCommandOptions, type ReportFormat, type ReportResult } from './commands/report.js';
export type { DailyActivity, RegionConversion, ReportData } from './operations/report.js';
/** Index maintenance and statistics, online; see {@link maintain}. */
export { maintain, clusterMaintain, type MaintainCommandOptions, type ClusterMaintenanceReport } from './commands/maintain.js';
export type { MaintenanceReport, MaintenanceResult, MaintenanceStep, MaintenanceKind } from './operations/maintain.js';
/** The weekly security review; see {@link audit}. */
export { audit, type AuditCommandOptions, type AuditResult } from './commands/audit.js';
export type { AuditReport } from './operations/audit.js';
export type { AuditThresholds, ConversionReview, LimitReview, SuspiciousPrefix } from './operations/audit.js';
/** Re-encrypt secure keys under the current data key; see {@link rotateKeys}. */
export { rotateKeys, type RotateKeysCommandOptions, type RotateKeysReport, type KeyUsage } from './commands/rotate-keys.js';
/** Bring the original SQL Server database over; see {@link importDatabase}. */
export {
  importDatabase,
  type ImportCommandOptions,
  type ImportReport,
  type ImportProblem,
  type ImportTableReport,
  type ImportNote,
} from './commands/import.js';
/** A restorable backup; see {@link backup}. */
export { backup, type BackupCommandOptions, type BackupResult } from './commands/backup.js';
/** Put a backup back; see {@link restore}. */
export { restore, type RestoreCommandOptions, type RestoreResult } from './commands/restore.js';
/** Set up the least-privilege roles; see {@link roles}. */
export { roles } from './commands/roles.js';
/** What every command takes: configuration values, or an open database, and a logger. */
export type { PersistorOptions } from './commands/runtime.js';

// The cluster (docs/SCALE-OUT.md): one PL/Proxy proxy and N partitions, described by the configuration's `cluster` key.
/** Deploy or finish deploying the configured cluster, or with `dryRun` say what that would do per partition; see {@link migrateCluster}. */
export {
  migrateCluster,
  type MigrateClusterOptions,
  type ClusterMigrateReport,
  type ClusterDryRunReport,
  type ClusterMigrateEvent,
  type PartitionPlan,
} from './commands/cluster-migrate.js';
/** Every partition's status, the totals and the proxy's state, naming what cannot be reached; see {@link clusterStatus}. */
export {
  clusterStatus,
  type ClusterStatusOptions,
  type ClusterStatusReport,
  type PartitionStatus,
  type MemberFailure,
} from './commands/cluster-status.js';
/** The proxy's state (PL/Proxy, routed routines, partition definitions) and a partition's identity, as `status` reports them. */
export type { ProxyState, PartitionDefinition, PartitionIdentity } from './commands/cluster-inspect.js';
/** Run work with every partition and the proxy open, each error naming its database; see {@link withCluster}. */
export { withCluster, type ClusterRuntime, type ClusterMember, type OpenClusterMember } from './commands/cluster-runtime.js';
/** The library's cluster deployment (what `migrate` runs on a cluster): resumable, idempotent, errors naming the partition; see {@link deployCluster}. */
export {
  deployCluster,
  type DeployClusterOptions,
  type ClusterDeployment,
  type PartitionDeployment,
  type ClusterEvent,
  type GeneratedState,
} from './cluster/deploy.js';
/** The cluster's description (the config file's `cluster` key) and its validation, one INVALID_CONFIG line naming the key; see {@link parseClusterConfig}. */
export { parseClusterConfig, type ClusterConfig, type ClusterConfigInput } from './config/cluster.js';
/** The seed's checklist on every partition (core checks rolled back there) plus the cluster's own checks; see {@link clusterVerify}. */
export { clusterVerify, type ClusterVerifyReport } from './commands/verify.js';
/** The retention rules on every partition, per partition and in total, naming a partition that fails; see {@link clusterCleanup}. */
export { clusterCleanup, type ClusterCleanupCommandOptions, type ClusterCleanupReport } from './commands/cleanup.js';
/** One dump per partition and of the proxy, with a manifest, all or nothing; see {@link clusterBackup}. */
export { clusterBackup, type ClusterBackupCommandOptions, type ClusterBackupResult } from './commands/backup.js';

// Configuration, databases and the migrator, for applications that compose their own steps.
/** Configuration from flags, environment and config file, in that precedence. */
export { loadConfig, type LoadedConfig, type ConfigSources } from './config/load.js';
/** The validated configuration, and what may be given for it. */
export type { Config, ConfigInput } from './config/schema.js';
/** Open the configured database (a server, or the embedded one); `withDatabase` closes it afterwards. */
export { openDatabase, withDatabase } from './db/open.js';
/** The database interface both engines implement. */
export type { Database, Engine, Queryable, QueryResult, Session } from './db/database.js';
/** The migration engine behind migrate, status, validate, baseline and repair. */
export { Migrator, type MigrateResult, type MigratorEvent, type AppliedMigration } from './migrator/migrator.js';
/** A migration plan and each migration's state. */
export type { MigrationState, MigrationStatus, Plan } from './migrator/plan.js';
/** Errors with a stable code and the CLI's exit code. */
export { ExitCode, PersistorError, isPersistorError, type ErrorCode } from './errors.js';
/** The folder of the shipped EcliptixMemberships migrations. */
export { shippedMigrationsDir } from './sql-files.js';
/** The schema's objects, as the seed lists them. */
export {
  MANIFEST,
  OBJECT_COUNT,
  OBJECT_KINDS,
  ROUTINE_COUNT,
  SCHEMA_NAME,
  type ManifestObject,
  type ObjectKind,
} from './schema/manifest.js';
/** Which of the schema's objects are present and enabled. */
export { inspectObjects, type ObjectsReport } from './schema/objects.js';
/** The least-privilege roles: apply them, read what each may do, their default names. */
export { applyRoles, readRolePrivileges, DEFAULT_ROLE_NAMES, type RoleNames, type RolePrivileges } from './schema/roles.js';

// The memberships client: what the application calls instead of the stored procedures.
/** The client over a database the application holds. */
export { MembershipsClient, createMembershipsClient, type MembershipsClientOptions } from './client/memberships-client.js';
/** The client over the configured database, or over the application's own pg pool or PGlite instance. */
export {
  openMembershipsClient,
  fromPgPool,
  fromPglite,
  type OpenMembershipsClientOptions,
  type OpenedMembershipsClient,
} from './client/open.js';
/** OTP and data keys: load them, read or write their text form, make new ones. */
export { loadSecrets, keyringFromText, generateKeyring, keyringToText, type Keyring, type Secrets } from './client/keyring.js';
/** The client's errors: bad input, and unusable keys. */
export { InvalidInputError, KeyError } from './client/errors.js';
/** Every outcome the client's methods return. */
export type * from './client/outcomes.js';
/** The flow purposes and statuses, and the membership creation statuses. */
export { FLOW_PURPOSES, FLOW_STATUSES, CREATION_STATUSES } from './client/outcomes.js';
/** A validated phone number. */
export type { PhoneNumber } from './client/validate.js';
