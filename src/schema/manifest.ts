/**
 * The objects of the EcliptixMemberships schema (schema `ecliptix`), with
 * the kind the seed's status check reports and the SQL Server name they had:
 * {@link OBJECT_COUNT} in all. The {@link ROUTINE_COUNT} routines are all
 * PostgreSQL functions; those of kind `procedure` are the seed's "procedures".
 */
/** The schema that holds the memberships objects. */
export const SCHEMA_NAME = 'ecliptix';

/** The kinds the seed's status check reports; a `procedure` is a PostgreSQL function that the seed called a procedure. */
export type ObjectKind = 'table' | 'function' | 'procedure' | 'trigger';

/** One object of the schema: its name, its kind and its name in the SQL Server original. */
export interface ManifestObject {
  name: string;
  kind: ObjectKind;
  original: string;
  /** Triggers: the table they belong to. */
  table?: string;
}

const tables: [string, string][] = [
  ['app_devices', 'AppDevices'],
  ['phone_numbers', 'PhoneNumbers'],
  ['phone_number_devices', 'PhoneNumberDevices'],
  ['verification_flows', 'VerificationFlows'],
  ['otp_records', 'OtpRecords'],
  ['failed_otp_attempts', 'FailedOtpAttempts'],
  ['memberships', 'Memberships'],
  ['membership_attempts', 'MembershipAttempts'],
  ['login_attempts', 'LoginAttempts'],
  ['event_log', 'EventLog'],
];

const functions: [string, string][] = [
  ['get_phone_number', 'GetPhoneNumber'],
  ['get_phone_number_details', 'GetPhoneNumber (verification variant)'],
  ['get_full_flow_state', 'GetFullFlowState'],
];

const procedures: [string, string][] = [
  ['register_app_device_if_not_exists', 'RegisterAppDeviceIfNotExists'],
  ['ensure_phone_number', 'EnsurePhoneNumber'],
  ['verify_phone_for_secret_key_recovery', 'VerifyPhoneForSecretKeyRecovery'],
  ['initiate_verification_flow', 'InitiateVerificationFlow'],
  ['request_resend_otp', 'RequestResendOtp'],
  ['insert_otp_record', 'InsertOtpRecord'],
  ['update_otp_status', 'UpdateOtpStatus'],
  ['update_verification_flow_status', 'UpdateVerificationFlowStatus'],
  ['expire_associated_otp', 'ExpireAssociatedOtp'],
  ['log_login_attempt', 'LogLoginAttempt'],
  ['log_membership_attempt', 'LogMembershipAttempt'],
  ['create_membership', 'CreateMembership'],
  ['update_membership_secure_key', 'UpdateMembershipSecureKey'],
  ['login_membership', 'LoginMembership'],
];

/** Every table but event_log (append-only, no updated_at) has an updated_at trigger. */
const triggerTables = tables.map(([name]) => name).filter((name) => name !== 'event_log');

/**
 * Every object of the schema, tables first, then functions, procedures and
 * triggers: the one inventory `status`, `verify` and the counts below use.
 *
 * @example
 * ```ts
 * const triggers = MANIFEST.filter((object) => object.kind === 'trigger').map((t) => `${t.name} on ${t.table}`);
 * ```
 */
export const MANIFEST: readonly ManifestObject[] = [
  ...tables.map(([name, original]) => ({ name, original, kind: 'table' as const })),
  ...functions.map(([name, original]) => ({ name, original, kind: 'function' as const })),
  ...procedures.map(([name, original]) => ({ name, original, kind: 'procedure' as const })),
  ...triggerTables.map((table) => ({
    name: `trg_${table}_updated_at`,
    original: `TR_${table}_UpdatedAt`,
    kind: 'trigger' as const,
    table,
  })),
];

/**
 * Objects beside the seed's 36, listed apart by `status` and `verify`: the
 * user actions (a sign-up's verification in two calls). The seed's objects
 * stay as they are.
 *
 * @example
 * ```ts
 * const names = ADDED_OBJECTS.map((o) => o.name) // ['start_verification', 'check_code']
 * ```
 */
export const ADDED_OBJECTS: readonly ManifestObject[] = [
  {
    name: 'start_verification',
    kind: 'procedure',
    original: '(beside the seed) ensure_phone_number + initiate_verification_flow + insert_otp_record',
  },
  { name: 'check_code', kind: 'procedure', original: '(beside the seed) update_otp_status + create_membership' },
];

/**
 * Every routine the application calls: the seed's and those beside it
 * ({@link ADDED_OBJECTS}). A cluster's proxy routes each of them.
 *
 * @example
 * ```ts
 * console.log(APPLICATION_ROUTINES.length) // 19
 * ```
 */
export const APPLICATION_ROUTINES: readonly string[] = [...MANIFEST, ...ADDED_OBJECTS]
  .filter((object) => object.kind === 'function' || object.kind === 'procedure')
  .map((object) => object.name);

/** The kinds in the order reports list them. */
export const OBJECT_KINDS: readonly ObjectKind[] = ['table', 'function', 'procedure', 'trigger'];

/**
 * The tables' names, in manifest order.
 *
 * @example
 * ```ts
 * const deployed = report.objects.filter((o) => o.kind === 'table' && o.present).length === TABLE_NAMES.length;
 * ```
 */
export const TABLE_NAMES: readonly string[] = tables.map(([name]) => name);

/**
 * How many objects the schema has (tables, routines and triggers): the length of {@link MANIFEST}.
 *
 * @example
 * ```ts
 * console.log(`All ${OBJECT_COUNT} database objects created successfully`);
 * ```
 */
export const OBJECT_COUNT: number = MANIFEST.length;

/**
 * How many routines the schema has: the manifest's functions and procedures (all PostgreSQL functions).
 *
 * @example
 * ```ts
 * console.log(`checks through all ${ROUTINE_COUNT} routines`);
 * ```
 */
export const ROUTINE_COUNT: number = MANIFEST.filter((object) => object.kind === 'function' || object.kind === 'procedure').length;
