/**
 * The memberships client: one method per routine of the schema, plus the
 * high-level OTP methods (`issueOtp`, `verifyOtp`) and the secure key kept
 * encrypted at rest. Inputs are validated before any query; results are
 * discriminated unions.
 */
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../sql-files.js';
import { InvalidInputError } from './errors.js';
import { decryptSecureKey, encryptSecureKey } from './secure-key.js';
import { hashOtp, generateOtpCode, otpMatches } from './otp.js';
import type { Secrets } from './keyring.js';
import {
  CREATION_STATUSES,
  FLOW_PURPOSES,
  FLOW_STATUSES,
  OTP_STATUSES,
  type CreateMembershipResult,
  type ConfirmLoginResult,
  type CreationStatus,
  type EnsurePhoneNumberResult,
  type ExpireOtpResult,
  type FlowPurpose,
  type FlowState,
  type FlowStatus,
  type InitiateFlowResult,
  type IssueOtpResult,
  type LogLoginAttemptResult,
  type LogMembershipAttemptResult,
  type LoginResult,
  type MembershipStatus,
  type OtpStatus,
  type RecoveryEligibilityResult,
  type RegisterDeviceResult,
  type ResendResult,
  type SetSecureKeyResult,
  type UpdateFlowStatusResult,
  type UpdateOtpStatusResult,
  type VerifyOtpResult,
} from './outcomes.js';
import * as check from './validate.js';

export interface MembershipsClientOptions {
  /** An open database (`openDatabase`, `fromPgPool`, `fromPglite`). */
  db: Queryable;
  secrets: Secrets;
  /** How long an issued code is accepted; default 30 s. */
  otpLifetimeSeconds?: number;
}

const MAX_SECURE_KEY_BYTES = 8192;
/** A call that failed with 40001/40P01 (another caller of the same limit committed first) is tried this many times in all. */
const SERIALIZATION_ATTEMPTS = 5;
const RETRIED_SQLSTATES = new Set(['40001', '40P01']);
const MAX_CONNECTION_ID = Number.MAX_SAFE_INTEGER;

interface FlowRow {
  flow_unique_id: string | null;
  phone_unique_id: string;
  app_device_id: string;
  connection_id: number | null;
  expires_at: Date;
  status: FlowStatus;
  purpose: FlowPurpose;
  otp_count: number;
  otp_unique_id: string | null;
  otp_hash: string | null;
  otp_salt: string | null;
  otp_expires_at: Date | null;
  otp_status: OtpStatus | null;
  otp_is_active: boolean | null;
}

function toFlowState(row: FlowRow): FlowState {
  return {
    flowId: row.flow_unique_id!,
    phoneId: row.phone_unique_id,
    appDeviceId: row.app_device_id,
    connectionId: row.connection_id,
    expiresAt: row.expires_at,
    status: row.status,
    purpose: row.purpose,
    otpCount: row.otp_count,
    activeOtp: row.otp_unique_id ? { otpId: row.otp_unique_id, expiresAt: row.otp_expires_at!, status: row.otp_status! } : null,
  };
}

const seconds = (value: number | null | undefined) => (value === null || value === undefined ? null : value * 1000);

export class MembershipsClient {
  private readonly db: Queryable;
  private readonly secrets: Secrets;
  private readonly otpLifetimeSeconds: number;

  constructor(options: MembershipsClientOptions) {
    this.db = options.db;
    this.secrets = options.secrets;
    this.otpLifetimeSeconds = check.integer('otpLifetimeSeconds', options.otpLifetimeSeconds ?? 30, 1, 3600);
  }

  private async one<Row>(file: string, params: unknown[]): Promise<Row> {
    return (await this.maybe<Row>(file, params))!;
  }

  /**
   * Every call is one statement, so one transaction of its own: under
   * REPEATABLE READ or SERIALIZABLE a routine whose limit another caller
   * changed after its snapshot fails with 40001 rather than count stale rows
   * (migrations V014), and it is safe to run it again with a fresh snapshot.
   */
  private async maybe<Row>(file: string, params: unknown[]): Promise<Row | undefined> {
    const sql = sqlFile(`client/${file}.sql`);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { rows } = await this.db.query<Row>(sql, params);
        return rows[0];
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt >= SERIALIZATION_ATTEMPTS || typeof code !== 'string' || !RETRIED_SQLSTATES.has(code)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }

  async registerDevice(input: { appInstanceId: string; deviceId: string; deviceType?: number }): Promise<RegisterDeviceResult> {
    check.input(input);
    const params = [
      check.uuid('appInstanceId', input.appInstanceId),
      check.uuid('deviceId', input.deviceId),
      check.integer('deviceType', input.deviceType ?? 1, 0, 2_147_483_647),
    ];
    const row = await this.one<{ outcome: 'created' | 'exists'; unique_id: string }>('register-app-device', params);
    return { outcome: row.outcome, deviceId: row.unique_id };
  }

  async ensurePhoneNumber(input: {
    phoneNumber: string;
    region?: string | null;
    appDeviceId?: string | null;
  }): Promise<EnsurePhoneNumberResult> {
    check.input(input);
    const phone = check.phoneNumber('phoneNumber', input.phoneNumber, input.region);
    const appDeviceId = check.optionalUuid('appDeviceId', input.appDeviceId);
    const row = await this.one<{ outcome: EnsurePhoneNumberResult['outcome']; unique_id: string | null }>('ensure-phone-number', [
      phone.e164,
      phone.region,
      appDeviceId,
    ]);
    if (row.outcome === 'exists_but_invalid_app_device' || row.outcome === 'created_but_invalid_app_device')
      return { outcome: row.outcome, phone };
    return { outcome: row.outcome, phoneId: row.unique_id!, phone };
  }

  async verifyPhoneForSecretKeyRecovery(input: { phoneNumber: string; region?: string | null }): Promise<RecoveryEligibilityResult> {
    check.input(input);
    const phone = check.phoneNumber('phoneNumber', input.phoneNumber, input.region);
    const row = await this.one<{ outcome: RecoveryEligibilityResult['outcome']; phone_unique_id: string | null }>(
      'verify-phone-for-secret-key-recovery',
      [phone.e164, null],
    );
    return row.outcome === 'eligible_for_recovery'
      ? { outcome: row.outcome, phoneId: row.phone_unique_id! }
      : ({ outcome: row.outcome } as RecoveryEligibilityResult);
  }

  async initiateVerificationFlow(input: {
    appDeviceId: string;
    phoneId: string;
    purpose: FlowPurpose;
    connectionId?: number | null;
  }): Promise<InitiateFlowResult> {
    check.input(input);
    const params = [
      check.uuid('appDeviceId', input.appDeviceId),
      check.uuid('phoneId', input.phoneId),
      check.oneOf('purpose', input.purpose, FLOW_PURPOSES),
      check.optionalInteger('connectionId', input.connectionId, 0, MAX_CONNECTION_ID),
    ];
    const row = await this.one<FlowRow & { outcome: InitiateFlowResult['outcome']; retry_after_seconds?: number | null }>(
      'initiate-verification-flow',
      params,
    );
    switch (row.outcome) {
      case 'created':
      case 'retrieved':
      case 'verified':
        return { outcome: row.outcome, flow: toFlowState(row) };
      case 'global_rate_limit_exceeded':
        return { outcome: row.outcome, retryAfterMs: seconds(row.retry_after_seconds) };
      default:
        return { outcome: row.outcome };
    }
  }

  async requestResendOtp(flowId: string): Promise<ResendResult> {
    const row = await this.one<{ outcome: ResendResult['outcome']; retry_after_seconds: number | null }>('request-resend-otp', [
      check.uuid('flowId', flowId),
    ]);
    return row.outcome === 'resend_cooldown_active'
      ? { outcome: row.outcome, retryAfterMs: seconds(row.retry_after_seconds) ?? 0 }
      : ({ outcome: row.outcome } as ResendResult);
  }

  /**
   * Issues a fresh code for the flow and returns it — the only time it exists:
   * the database keeps its keyed hash. One round trip: the database checks
   * the flow, the per-flow cap and the resend cooldown (for every code, the
   * first included) under the flow's lock, so parallel calls issue one code.
   */
  async issueOtp(flowId: string): Promise<IssueOtpResult> {
    const id = check.uuid('flowId', flowId);
    const code = generateOtpCode();
    const stored = hashOtp(this.secrets.otpKeys, id, code);
    const row = await this.one<{
      outcome: 'created' | 'resend_cooldown_active' | 'flow_not_found_or_invalid' | 'flow_expired' | 'max_otp_attempts_reached';
      otp_unique_id: string | null;
      retry_after_seconds: number | null;
    }>('insert-otp-record', [id, stored.hash, stored.salt, this.otpLifetimeSeconds, 'pending']);
    switch (row.outcome) {
      case 'created':
        return { outcome: 'issued', otpId: row.otp_unique_id!, code };
      case 'resend_cooldown_active':
        return { outcome: row.outcome, retryAfterMs: seconds(row.retry_after_seconds) ?? 0 };
      default:
        return { outcome: row.outcome };
    }
  }

  /** Checks a code against the flow's active OTP in constant time; a wrong code is recorded as a failed attempt. */
  async verifyOtp(flowId: string, code: string): Promise<VerifyOtpResult> {
    const id = check.uuid('flowId', flowId);
    if (typeof code !== 'string' || !/^\d{6}$/.test(code)) throw new InvalidInputError('code', 'must be a string of 6 digits');
    const row = await this.maybe<FlowRow & { database_now: Date }>('get-full-flow-state', [id]);
    if (!row) return { outcome: 'flow_not_found' };
    if (row.status === 'verified') return { outcome: 'already_used' };
    if (row.status !== 'pending') return { outcome: 'flow_not_pending' };
    if (row.expires_at <= row.database_now) return { outcome: 'flow_expired' };
    if (!row.otp_unique_id || !row.otp_hash || !row.otp_salt) return { outcome: row.otp_count > 0 ? 'otp_expired' : 'no_active_otp' };
    const matches = otpMatches(this.secrets.otpKeys, id, code, { hash: row.otp_hash, salt: row.otp_salt });
    const update = await this.updateOtpStatus(row.otp_unique_id, matches ? 'verified' : 'failed');
    switch (update.outcome) {
      case 'updated':
        return matches ? { outcome: 'verified', otpId: row.otp_unique_id } : { outcome: 'invalid_code', otpId: row.otp_unique_id };
      case 'max_failed_attempts_reached':
        return { outcome: 'max_failed_attempts_reached' };
      case 'too_many_failed_checks':
        return { outcome: 'too_many_failed_checks', retryAfterMs: update.retryAfterMs ?? 0 };
      case 'flow_expired':
        return { outcome: 'flow_expired' };
      case 'otp_expired':
        return { outcome: 'otp_expired' };
      case 'otp_not_found':
        return { outcome: 'no_active_otp' };
      default:
        // Verified or replaced between our read and our write: the code was used once already.
        return { outcome: 'already_used' };
    }
  }

  async updateOtpStatus(otpId: string, status: OtpStatus): Promise<UpdateOtpStatusResult> {
    const row = await this.one<Omit<UpdateOtpStatusResult, 'retryAfterMs'> & { retry_after_seconds: number | null }>('update-otp-status', [
      check.uuid('otpId', otpId),
      check.oneOf('status', status, OTP_STATUSES),
    ]);
    return { outcome: row.outcome, success: row.success, message: row.message, retryAfterMs: seconds(row.retry_after_seconds) };
  }

  async updateVerificationFlowStatus(flowId: string, status: FlowStatus): Promise<UpdateFlowStatusResult> {
    const row = await this.one<{ outcome: UpdateFlowStatusResult['outcome']; rows_affected: number }>('update-verification-flow-status', [
      check.uuid('flowId', flowId),
      check.oneOf('status', status, FLOW_STATUSES),
    ]);
    return row.outcome === 'updated' ? { outcome: 'updated', rowsAffected: row.rows_affected } : { outcome: row.outcome };
  }

  async expireAssociatedOtp(flowId: string): Promise<ExpireOtpResult> {
    const row = await this.one<{ outcome: ExpireOtpResult['outcome']; expired_count: number }>('expire-associated-otp', [
      check.uuid('flowId', flowId),
    ]);
    return row.outcome === 'expired' ? { outcome: 'expired', expiredCount: row.expired_count } : { outcome: row.outcome };
  }

  async logLoginAttempt(input: { phoneNumber: string; outcome: string; isSuccess: boolean }): Promise<LogLoginAttemptResult> {
    check.input(input);
    const phone = check.phoneNumber('phoneNumber', input.phoneNumber);
    if (typeof input.isSuccess !== 'boolean') throw new InvalidInputError('isSuccess', 'must be true or false');
    const outcome = check.text('outcome', input.outcome, 255);
    if (outcome === 'key_released') throw new InvalidInputError('outcome', 'key_released is reserved for the key releases of login');
    const row = await this.one<{ outcome: LogLoginAttemptResult['outcome']; id: number | null }>('log-login-attempt', [
      phone.e164,
      outcome,
      input.isSuccess,
    ]);
    return row.outcome === 'logged' ? { outcome: 'logged', id: row.id! } : { outcome: row.outcome };
  }

  /**
   * Confirms a sign-in: the passphrase opened the key that `login` released
   * for this number. Only this resets the number's failure count and lockout
   * ladder; without a release to confirm nothing is written.
   */
  async confirmLogin(phoneNumber: string): Promise<ConfirmLoginResult> {
    const result = await this.logLoginAttempt({ phoneNumber, outcome: 'login_confirmed', isSuccess: true });
    return result.outcome === 'logged' ? { outcome: 'confirmed' } : { outcome: 'no_key_release' };
  }

  async logMembershipAttempt(input: { phoneId: string; outcome: string; isSuccess: boolean }): Promise<LogMembershipAttemptResult> {
    check.input(input);
    if (typeof input.isSuccess !== 'boolean') throw new InvalidInputError('isSuccess', 'must be true or false');
    const row = await this.one<{ outcome: LogMembershipAttemptResult['outcome']; unique_id: string | null }>('log-membership-attempt', [
      check.uuid('phoneId', input.phoneId),
      check.text('outcome', input.outcome, 255),
      input.isSuccess,
    ]);
    return row.outcome === 'logged' ? { outcome: 'logged', attemptId: row.unique_id! } : { outcome: row.outcome };
  }

  async createMembership(input: {
    flowId: string;
    otpId: string;
    connectionId?: number | null;
    creationStatus?: CreationStatus;
  }): Promise<CreateMembershipResult> {
    check.input(input);
    const params = [
      check.uuid('flowId', input.flowId),
      check.optionalInteger('connectionId', input.connectionId, 0, MAX_CONNECTION_ID),
      check.uuid('otpId', input.otpId),
      check.oneOf('creationStatus', input.creationStatus ?? 'otp_verified', CREATION_STATUSES),
    ];
    const row = await this.one<{
      outcome: CreateMembershipResult['outcome'];
      membership_unique_id: string | null;
      status: MembershipStatus | null;
      creation_status: CreationStatus | null;
      retry_after_minutes: number | null;
    }>('create-membership', params);
    if (row.outcome === 'created') {
      return { outcome: 'created', membershipId: row.membership_unique_id!, status: row.status!, creationStatus: row.creation_status };
    }
    if (row.outcome === 'rate_limit_exceeded') return { outcome: row.outcome, retryAfterMs: (row.retry_after_minutes ?? 0) * 60_000 };
    return { outcome: row.outcome } as CreateMembershipResult;
  }

  /**
   * Stores the membership's secure key, encrypted with AES-256-GCM under the
   * current data key. `flowId` proves the phone: the verified registration
   * flow that created the membership (first key only), or a verified
   * password-recovery flow of the same phone (used up by this call).
   */
  async setSecureKey(input: { membershipId: string; flowId: string; secureKey: Uint8Array }): Promise<SetSecureKeyResult> {
    check.input(input);
    const id = check.uuid('membershipId', input.membershipId);
    const flowId = check.uuid('flowId', input.flowId);
    const plaintext = check.bytes('secureKey', input.secureKey, 1, MAX_SECURE_KEY_BYTES);
    const row = await this.one<{
      outcome: SetSecureKeyResult['outcome'];
      membership_unique_id: string | null;
      status: MembershipStatus | null;
      creation_status: CreationStatus | null;
      retry_after_minutes: number | null;
    }>('update-membership-secure-key', [id, encryptSecureKey(this.secrets.dataKeys, id, plaintext), flowId]);
    if (row.outcome === 'updated')
      return { outcome: 'updated', membershipId: row.membership_unique_id!, status: row.status!, creationStatus: row.creation_status };
    if (row.outcome === 'rate_limit_exceeded') return { outcome: row.outcome, retryAfterMs: (row.retry_after_minutes ?? 0) * 60_000 };
    return { outcome: row.outcome } as SetSecureKeyResult;
  }

  /**
   * Asks for the secure key of a phone number: lockout first; on success the
   * key, decrypted. A release is not a sign-in: confirm it with `confirmLogin`
   * once the passphrase opened the key, or report a wrong passphrase with
   * `logLoginAttempt({ ..., isSuccess: false })`.
   */
  async login(phoneNumber: string, region?: string | null): Promise<LoginResult> {
    const phone = check.phoneNumber('phoneNumber', phoneNumber, region);
    const row = await this.one<{
      outcome: LoginResult['outcome'] | 'phone_number_cannot_be_empty';
      membership_unique_id: string | null;
      status: MembershipStatus | null;
      secure_key: Uint8Array | null;
      retry_after_seconds: number | null;
    }>('login-membership', [phone.e164]);
    switch (row.outcome) {
      case 'success':
        return {
          outcome: 'success',
          publicOutcome: 'success',
          membershipId: row.membership_unique_id!,
          status: row.status!,
          secureKey: decryptSecureKey(this.secrets.dataKeys, row.membership_unique_id!, row.secure_key!),
        };
      case 'locked':
        return { outcome: 'locked', publicOutcome: 'too_many_attempts', retryAfterMs: seconds(row.retry_after_seconds) ?? 0 };
      case 'phone_number_cannot_be_empty':
        throw new InvalidInputError('phoneNumber', 'must be a non-empty phone number');
      default: {
        const retryAfterMs = seconds(row.retry_after_seconds);
        const limited = retryAfterMs !== null || row.outcome === 'too_many_key_releases';
        return { outcome: row.outcome, publicOutcome: limited ? 'too_many_attempts' : 'invalid_credentials', retryAfterMs };
      }
    }
  }

  async getPhoneNumber(phoneId: string): Promise<{ phoneNumber: string; region: string | null } | null> {
    const row = await this.maybe<{ phone_number: string; region: string | null }>('get-phone-number', [check.uuid('phoneId', phoneId)]);
    return row ? { phoneNumber: row.phone_number, region: row.region } : null;
  }

  async getPhoneNumberDetails(phoneId: string): Promise<{ phoneId: string; phoneNumber: string; region: string | null } | null> {
    const row = await this.maybe<{ phone_number: string; region: string | null; unique_id: string }>('get-phone-number-details', [
      check.uuid('phoneId', phoneId),
    ]);
    return row ? { phoneId: row.unique_id, phoneNumber: row.phone_number, region: row.region } : null;
  }

  async getFlowState(flowId: string): Promise<FlowState | null> {
    const row = await this.maybe<FlowRow>('get-full-flow-state', [check.uuid('flowId', flowId)]);
    return row ? toFlowState(row) : null;
  }
}

export function createMembershipsClient(options: MembershipsClientOptions): MembershipsClient {
  return new MembershipsClient(options);
}
