/**
 * ecliptix-persistor's programmatic API: the same operations as the CLI,
 * callable from an application at start-up.
 *
 *   import { migrate } from 'ecliptix-persistor';
 *   await migrate({ databaseUrl: process.env.DATABASE_URL });
 */
export { migrate, type MigrateCommandOptions } from './commands/migrate.js';
export { status, type StatusReport } from './commands/status.js';
export { validate, type ValidateReport } from './commands/validate.js';
export { baseline, type BaselineReport } from './commands/baseline.js';
export { repair, type RepairReport } from './commands/repair.js';
export { sql } from './commands/sql.js';
export { testConnection, type ConnectionReport } from './commands/test-connection.js';
export { verify, type VerifyCommandOptions, type VerifyReport } from './commands/verify.js';
export { cleanup, type CleanupCommandOptions, type CleanupReport } from './commands/cleanup.js';
export { rotateKeys, type RotateKeysCommandOptions, type RotateKeysReport, type KeyUsage } from './commands/rotate-keys.js';
export {
  importDatabase,
  type ImportCommandOptions,
  type ImportReport,
  type ImportProblem,
  type ImportTableReport,
  type ImportNote,
} from './commands/import.js';
export { backup, type BackupCommandOptions, type BackupResult } from './commands/backup.js';
export { restore, type RestoreCommandOptions, type RestoreResult } from './commands/restore.js';
export type { PersistorOptions } from './commands/runtime.js';
export { loadConfig, type LoadedConfig, type ConfigSources } from './config/load.js';
export type { Config, ConfigInput } from './config/schema.js';
export { openDatabase, withDatabase } from './db/open.js';
export type { Database, Engine, Queryable, QueryResult, Session } from './db/database.js';
export { Migrator, type MigrateResult, type MigratorEvent, type AppliedMigration } from './migrator/migrator.js';
export type { MigrationState, MigrationStatus, Plan } from './migrator/plan.js';
export { ExitCode, PersistorError, isPersistorError, type ErrorCode } from './errors.js';
export { shippedMigrationsDir } from './sql-files.js';
export { MANIFEST, OBJECT_KINDS, SCHEMA_NAME, type ManifestObject, type ObjectKind } from './schema/manifest.js';
export { inspectObjects, type ObjectsReport } from './schema/objects.js';
export { MembershipsClient, createMembershipsClient, type MembershipsClientOptions } from './client/memberships-client.js';
export {
  openMembershipsClient,
  fromPgPool,
  fromPglite,
  type OpenMembershipsClientOptions,
  type OpenedMembershipsClient,
} from './client/open.js';
export { loadSecrets, keyringFromText, generateKeyring, keyringToText, type Keyring, type Secrets } from './client/keyring.js';
export { InvalidInputError, KeyError } from './client/errors.js';
export type * from './client/outcomes.js';
export { FLOW_PURPOSES, FLOW_STATUSES, CREATION_STATUSES } from './client/outcomes.js';
export type { PhoneNumber } from './client/validate.js';
export { roles } from './commands/roles.js';
export { applyRoles, readRolePrivileges, DEFAULT_ROLE_NAMES, type RoleNames, type RolePrivileges } from './schema/roles.js';
