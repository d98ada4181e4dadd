/**
 * The original SQL Server tables (shared/spec/ORIGINAL-TABLES.md) as the
 * import reads them: each table's columns in the original's order (the field
 * order of a `bcp … out -c` file), their SQL Server kind, whether the
 * original allows NULL, and the name of the staging column the import copies
 * them into (`stage_<table>` temporary tables, one per original table).
 *
 * A staging schema made by pgloader is matched by name, ignoring case and
 * underscores: `PhoneNumberId`, `phonenumberid` and `phone_number_id` are the
 * same column, whichever identifier case pgloader was told to use.
 */

/** SQL Server column kinds, and what each becomes in staging. */
export type ColumnKind = 'bigint' | 'int' | 'smallint' | 'guid' | 'datetime' | 'bit' | 'text' | 'binary';

/** A column of an original SQL Server table (spec/ORIGINAL-TABLES.md) and how its values are read. */
export interface OriginalColumn {
  /** The original's name (SQL Server). */
  source: string;
  /** The staging column (the temporary table's). */
  stage: string;
  kind: ColumnKind;
  nullable: boolean;
  /** A secret (secure key, OTP hash or salt): its value is never shown, not even in an error. */
  secret?: boolean;
}

/** An original SQL Server table: its columns and the staging table it is loaded into. */
export interface OriginalTable {
  /** The original's name (dbo.<source>). */
  source: string;
  /** The ecliptix table it is imported into, and the staging table's name after "stage_". */
  table: string;
  columns: readonly OriginalColumn[];
}

function col(source: string, stage: string, kind: ColumnKind, options: { nullable?: boolean; secret?: boolean } = {}): OriginalColumn {
  return { source, stage, kind, nullable: options.nullable === true, ...(options.secret ? { secret: true } : {}) };
}

const id = col('Id', 'id', 'bigint');
const created = col('CreatedAt', 'created_at', 'datetime');
const updated = col('UpdatedAt', 'updated_at', 'datetime');
const deleted = col('IsDeleted', 'is_deleted', 'bit');
const uniqueId = col('UniqueId', 'unique_id', 'guid');

/** In dependency order: a table only refers to tables before it. */
export const ORIGINAL_TABLES: readonly OriginalTable[] = [
  {
    source: 'AppDevices',
    table: 'app_devices',
    columns: [
      id,
      col('AppInstanceId', 'app_instance_id', 'guid'),
      col('DeviceId', 'device_id', 'guid'),
      col('DeviceType', 'device_type', 'int'),
      created,
      updated,
      deleted,
      uniqueId,
    ],
  },
  {
    source: 'PhoneNumbers',
    table: 'phone_numbers',
    columns: [
      id,
      col('PhoneNumber', 'phone_number', 'text'),
      col('Region', 'region', 'text', { nullable: true }),
      created,
      updated,
      deleted,
      uniqueId,
    ],
  },
  {
    source: 'PhoneNumberDevices',
    table: 'phone_number_devices',
    columns: [
      col('PhoneNumberId', 'phone_number_id', 'guid'),
      col('AppDeviceId', 'app_device_id', 'guid'),
      col('IsPrimary', 'is_primary', 'bit'),
      created,
      updated,
      deleted,
    ],
  },
  {
    source: 'VerificationFlows',
    table: 'verification_flows',
    columns: [
      id,
      col('PhoneNumberId', 'phone_number_id', 'bigint'),
      col('AppDeviceId', 'app_device_id', 'guid'),
      col('Status', 'status', 'text'),
      col('Purpose', 'purpose', 'text'),
      col('ExpiresAt', 'expires_at', 'datetime'),
      col('OtpCount', 'otp_count', 'smallint'),
      col('ConnectionId', 'connection_id', 'bigint', { nullable: true }),
      created,
      updated,
      deleted,
      uniqueId,
    ],
  },
  {
    source: 'OtpRecords',
    table: 'otp_records',
    columns: [
      id,
      col('FlowUniqueId', 'flow_unique_id', 'guid'),
      col('PhoneNumberId', 'phone_number_id', 'bigint'),
      col('OtpHash', 'otp_hash', 'text', { secret: true }),
      col('OtpSalt', 'otp_salt', 'text', { secret: true }),
      col('ExpiresAt', 'expires_at', 'datetime'),
      col('Status', 'status', 'text'),
      col('IsActive', 'is_active', 'bit'),
      created,
      updated,
      deleted,
      uniqueId,
    ],
  },
  {
    source: 'FailedOtpAttempts',
    table: 'failed_otp_attempts',
    columns: [
      id,
      col('OtpUniqueId', 'otp_unique_id', 'guid'),
      col('FlowUniqueId', 'flow_unique_id', 'guid'),
      col('AttemptTime', 'attempt_time', 'datetime'),
      created,
      updated,
      deleted,
    ],
  },
  {
    source: 'Memberships',
    table: 'memberships',
    columns: [
      id,
      col('PhoneNumberId', 'phone_number_id', 'guid'),
      col('AppDeviceId', 'app_device_id', 'guid'),
      col('VerificationFlowId', 'verification_flow_id', 'guid'),
      col('SecureKey', 'secure_key', 'binary', { nullable: true, secret: true }),
      col('Status', 'status', 'text'),
      col('CreationStatus', 'creation_status', 'text', { nullable: true }),
      created,
      updated,
      deleted,
      uniqueId,
    ],
  },
  {
    source: 'MembershipAttempts',
    table: 'membership_attempts',
    columns: [
      id,
      col('PhoneNumberId', 'phone_number_id', 'guid'),
      col('Timestamp', 'attempted_at', 'datetime'),
      col('Outcome', 'outcome', 'text'),
      col('IsSuccess', 'is_success', 'bit'),
      created,
      updated,
      deleted,
    ],
  },
  {
    source: 'LoginAttempts',
    table: 'login_attempts',
    columns: [
      id,
      col('Timestamp', 'attempted_at', 'datetime'),
      col('PhoneNumber', 'phone_number', 'text'),
      col('Outcome', 'outcome', 'text'),
      col('IsSuccess', 'is_success', 'bit'),
      created,
      updated,
    ],
  },
  {
    source: 'EventLog',
    table: 'event_log',
    columns: [id, col('EventType', 'event_type', 'text'), col('Message', 'message', 'text'), created],
  },
];

/** A name as pgloader may have spelled it, reduced for matching: lower case, no underscores. */
export function matchKey(name: string): string {
  return name.toLowerCase().replace(/_/g, '');
}

/** The staging table's name (a temporary table). */
export function stageTable(table: OriginalTable): string {
  return `stage_${table.table}`;
}

/**
 * The types each kind may have in a staging schema (as format_type names
 * them; sql/import/create-stage-tables.sql has the staging tables' own):
 * integers of any width, strings of any length, DATETIME2 with or without a
 * zone (a zone-less value is UTC).
 */
export const ACCEPTED_TYPES: Record<ColumnKind, readonly RegExp[]> = {
  bigint: [/^(bigint|integer|smallint)$/],
  int: [/^(bigint|integer|smallint)$/],
  smallint: [/^(bigint|integer|smallint)$/],
  guid: [/^uuid$/],
  datetime: [/^timestamp(\(\d\))? without time zone$/, /^timestamp(\(\d\))? with time zone$/],
  bit: [/^boolean$/],
  text: [/^text$/, /^character varying(\(\d+\))?$/, /^character(\(\d+\))?$/],
  binary: [/^bytea$/],
};

/** How the import names a kind to an operator. */
export const KIND_NAME: Record<ColumnKind, string> = {
  bigint: 'BIGINT',
  int: 'INT',
  smallint: 'SMALLINT',
  guid: 'UNIQUEIDENTIFIER (uuid)',
  datetime: 'DATETIME2 (timestamp)',
  bit: 'BIT (boolean)',
  text: 'NVARCHAR (text)',
  binary: 'VARBINARY (bytea)',
};
