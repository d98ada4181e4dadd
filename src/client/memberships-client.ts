/**
 * The memberships client: one method per routine of the schema, plus the
 * user's actions (`startVerification`, `checkCode`: a sign-up's verification
 * in two round trips), the high-level OTP methods (`issueOtp`, `verifyOtp`)
 * and the secure key kept encrypted at rest. Inputs are validated before any query; results are
 * discriminated unions.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../sql-files.js';
import { InvalidInputError } from './errors.js';
import { decryptSecureKey, encryptSecureKey } from './secure-key.js';
import { MAX_CODE_HASHES, codeHashes, hashOtp, generateOtpCode, otpMatches } from './otp.js';
import type { Secrets } from './keyring.js';
import {
  CREATION_STATUSES,
  FLOW_PURPOSES,
  FLOW_STATUSES,
  OTP_STATUSES,
  type CheckCodeResult,
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
  type StartVerificationResult,
  type UpdateFlowStatusResult,
  type UpdateOtpStatusResult,
  type VerifyOtpResult,
} from './outcomes.js';
import * as check from './validate.js';

/**
 * What a {@link MembershipsClient} needs: a database and the keys.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createMembershipsClient, fromPgPool, loadSecrets } from 'ecliptix-persistor'
 *
 * const options: MembershipsClientOptions = {
 *   db: fromPgPool(new pg.Pool({ connectionString: process.env.DATABASE_URL })),
 *   secrets: loadSecrets({}),
 *   otpLifetimeSeconds: 60,
 * }
 * const client = createMembershipsClient(options)
 * ```
 */
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

function toFlowState(row: Omit<FlowRow, 'otp_hash' | 'otp_salt' | 'otp_is_active'>): FlowState {
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

interface MembershipRow {
  outcome: CreateMembershipResult['outcome'];
  membership_unique_id: string | null;
  status: MembershipStatus | null;
  creation_status: CreationStatus | null;
  retry_after_seconds: number | null;
}

function toMembershipResult(row: MembershipRow): CreateMembershipResult {
  if (row.outcome === 'created') {
    return { outcome: 'created', membershipId: row.membership_unique_id!, status: row.status!, creationStatus: row.creation_status };
  }
  if (row.outcome === 'rate_limit_exceeded') return { outcome: row.outcome, retryAfterMs: seconds(row.retry_after_seconds) ?? 0 };
  return { outcome: row.outcome } as CreateMembershipResult;
}

const seconds = (value: number | null | undefined) => (value === null || value === undefined ? null : value * 1000);

/**
 * One method per routine of schema `ecliptix`, plus `issueOtp`, `verifyOtp`
 * and `confirmLogin`. Inputs are validated before any query
 * (`InvalidInputError`); every result is a discriminated union on `outcome`,
 * with the routines' outcome codes (migrations/README.md, "Naming convention").
 *
 * @example
 * ```ts
 * const client = new MembershipsClient({ db: fromPglite(pglite), secrets: loadSecrets({}) })
 * const device = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() })
 * const phone = await client.ensurePhoneNumber({ phoneNumber: '+14155552671', appDeviceId: device.deviceId })
 * ```
 */
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

  /**
   * Finds the active device with `deviceId` or registers it (routine
   * register_app_device_if_not_exists); an existing device is left as it is.
   *
   * @example
   * ```ts
   * const { outcome, deviceId } = await client.registerDevice({
   *   appInstanceId: '8d3c5d2e-6a4f-4a59-9c1e-0c1f2a3b4c5d',
   *   deviceId: 'f0e1d2c3-b4a5-4968-8776-655443322110',
   * })
   * // outcome: 'created' the first time, 'exists' after; deviceId is what the other methods take
   * ```
   */
  async registerDevice(input: { appInstanceId: string; deviceId: string; deviceType?: number }): Promise<RegisterDeviceResult> {
    check.input(input);
    const params = [
      check.uuid('appInstanceId', input.appInstanceId),
      check.uuid('deviceId', input.deviceId),
      check.integer('deviceType', input.deviceType ?? 1, 0, 2_147_483_647),
    ];
    const row = await this.one<{ outcome: RegisterDeviceResult['outcome']; app_device_id: string }>('register-app-device', params);
    return { outcome: row.outcome, deviceId: row.app_device_id };
  }

  /**
   * Finds or creates the phone number (one per E.164 number) and, when
   * `appDeviceId` is given, links the device to it (routine ensure_phone_number).
   *
   * @example
   * ```ts
   * const result = await client.ensurePhoneNumber({ phoneNumber: '(415) 555-2671', region: 'US', appDeviceId: deviceId })
   * if ('phoneId' in result) console.log(result.phoneId, result.phone.e164) // +14155552671
   * ```
   */
  async ensurePhoneNumber(input: {
    phoneNumber: string;
    region?: string | null;
    appDeviceId?: string | null;
  }): Promise<EnsurePhoneNumberResult> {
    check.input(input);
    const phone = check.phoneNumber('phoneNumber', input.phoneNumber, input.region);
    const appDeviceId = check.optionalUuid('appDeviceId', input.appDeviceId);
    const row = await this.one<{ outcome: EnsurePhoneNumberResult['outcome']; phone_unique_id: string | null }>('ensure-phone-number', [
      phone.e164,
      phone.region,
      appDeviceId,
    ]);
    if (row.outcome === 'exists_but_app_device_not_found' || row.outcome === 'created_but_app_device_not_found')
      return { outcome: row.outcome, phone };
    return { outcome: row.outcome, phoneId: row.phone_unique_id!, phone };
  }

  /**
   * Whether the number's membership may recover its secret key (routine
   * verify_phone_for_secret_key_recovery); only an eligible number's id is returned.
   *
   * @example
   * ```ts
   * const result = await client.verifyPhoneForSecretKeyRecovery({ phoneNumber: '+14155552671' })
   * if (result.outcome !== 'eligible_for_recovery') return result.outcome // phone_number_not_found, …
   * ```
   */
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

  /**
   * Starts, or resumes, the verification of a phone for a device and purpose
   * (routine initiate_verification_flow).
   *
   * @example
   * ```ts
   * const started = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId, purpose: 'registration' })
   * if (started.outcome === 'rate_limit_exceeded') throw new Error(`try again in ${started.retryAfterMs} ms`)
   * ```
   */
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
      case 'rate_limit_exceeded':
        return { outcome: row.outcome, retryAfterMs: seconds(row.retry_after_seconds) };
      default:
        return { outcome: row.outcome };
    }
  }

  /**
   * The user's "send me a code", in one round trip and one commit (routine
   * start_verification): ensures the phone and the device's link to it,
   * starts the device's flow for this phone and purpose and stores a fresh
   * code's hash — the routines `ensurePhoneNumber`, `initiateVerificationFlow`
   * and `issueOtp` call, with their limits. When the device already has a
   * pending flow, a second round trip issues the code for it (`issueOtp`,
   * under the resend cooldown); `resumed` says so.
   *
   * @example
   * ```ts
   * const started = await client.startVerification({ phoneNumber: '+14155552671', appDeviceId: deviceId, purpose: 'registration' })
   * if (started.outcome === 'issued') await sms.send('+14155552671', `Your code: ${started.code}`)
   * else if (started.outcome === 'rate_limit_exceeded') console.log(`try again in ${started.retryAfterMs} ms`)
   * ```
   */
  async startVerification(input: {
    phoneNumber: string;
    region?: string | null;
    appDeviceId: string;
    purpose: FlowPurpose;
    connectionId?: number | null;
  }): Promise<StartVerificationResult> {
    check.input(input);
    const phone = check.phoneNumber('phoneNumber', input.phoneNumber, input.region);
    const appDeviceId = check.uuid('appDeviceId', input.appDeviceId);
    const purpose = check.oneOf('purpose', input.purpose, FLOW_PURPOSES);
    const connectionId = check.optionalInteger('connectionId', input.connectionId, 0, MAX_CONNECTION_ID);
    const proposal = randomUUID();
    const code = generateOtpCode();
    const stored = hashOtp(this.secrets.otpKeys, proposal, code);
    const row = await this.one<
      Omit<FlowRow, 'otp_hash' | 'otp_salt' | 'otp_is_active'> & {
        outcome: 'code_issued' | 'flow_pending' | 'flow_verified' | Exclude<StartVerificationResult['outcome'], 'issued' | 'verified'>;
        retry_after_seconds: number | null;
      }
    >('start-verification', [
      phone.e164,
      phone.region,
      appDeviceId,
      purpose,
      connectionId,
      proposal,
      stored.hash,
      stored.salt,
      this.otpLifetimeSeconds,
    ]);
    switch (row.outcome) {
      case 'code_issued':
        return { outcome: 'issued', flow: toFlowState(row), otpId: row.otp_unique_id!, code, resumed: false };
      case 'flow_verified':
        return { outcome: 'verified', flow: toFlowState(row) };
      case 'flow_pending': {
        const flowId = row.flow_unique_id!;
        const issued = await this.issueOtp(flowId);
        if (issued.outcome === 'issued') {
          // The code's expiry as this process's clock estimates it; the database's clock decides.
          const expiresAt = new Date(Date.now() + this.otpLifetimeSeconds * 1000);
          const state = {
            ...toFlowState(row),
            otpCount: row.otp_count + 1,
            activeOtp: { otpId: issued.otpId, expiresAt, status: 'pending' as const },
          };
          return { outcome: 'issued', flow: state, otpId: issued.otpId, code: issued.code, resumed: true };
        }
        if (issued.outcome === 'resend_cooldown_active') return { outcome: issued.outcome, flowId, retryAfterMs: issued.retryAfterMs };
        if (issued.outcome === 'max_otps_reached') return { outcome: issued.outcome, flowId };
        return { outcome: issued.outcome };
      }
      case 'rate_limit_exceeded':
        return { outcome: row.outcome, retryAfterMs: seconds(row.retry_after_seconds) };
      case 'resend_cooldown_active':
        return { outcome: row.outcome, flowId: row.flow_unique_id!, retryAfterMs: seconds(row.retry_after_seconds) ?? 0 };
      case 'max_otps_reached':
        return { outcome: row.outcome, flowId: row.flow_unique_id! };
      default:
        return { outcome: row.outcome };
    }
  }

  /**
   * The user's "here is my code", in one round trip and one commit (routine
   * check_code): the check `verifyOtp` makes, with the same limits and rows,
   * and for a registration flow the membership `createMembership` creates,
   * in the same transaction. The code never leaves the application: the
   * database gets its keyed hash under each OTP key. When the code is right
   * but the membership is refused (`membership.outcome`, e.g.
   * `rate_limit_exceeded`), the flow stays verified: create the membership
   * later with `createMembership` (checking the code again is `already_used`).
   *
   * @example
   * ```ts
   * const checked = await client.checkCode(flowId, '042917', { connectionId: 42 })
   * if (checked.outcome === 'verified' && checked.membership?.outcome === 'created') {
   *   await client.setSecureKey({ membershipId: checked.membership.membershipId, flowId, secureKey })
   * }
   * ```
   */
  async checkCode(flowId: string, code: string, options: { connectionId?: number | null } = {}): Promise<CheckCodeResult> {
    const id = check.uuid('flowId', flowId);
    if (typeof code !== 'string' || !/^\d{6}$/.test(code)) throw new InvalidInputError('code', 'must be a string of 6 digits');
    check.input(options);
    const connectionId = check.optionalInteger('connectionId', options.connectionId, 0, MAX_CONNECTION_ID);
    const row =
      this.secrets.otpKeys.keys.size > MAX_CODE_HASHES
        ? // check_code takes a hash per key id, at most 16: a larger keyring checks the two-call way.
          ({ outcome: 'code_hash_legacy', purpose: (await this.getFlowState(id))?.purpose ?? null } as const)
        : await this.one<{
            outcome: CheckCodeResult['outcome'] | 'code_hash_legacy';
            purpose: FlowPurpose | null;
            otp_unique_id: string | null;
            membership_outcome: CreateMembershipResult['outcome'] | null;
            membership_unique_id: string | null;
            membership_status: MembershipStatus | null;
            creation_status: CreationStatus | null;
            retry_after_seconds: number | null;
          }>('check-code', [id, codeHashes(this.secrets.otpKeys, id, code), connectionId]);
    switch (row.outcome) {
      case 'code_hash_legacy': {
        // A code stored before check_code existed (salted): checked the two-call way.
        const verified = await this.verifyOtp(id, code);
        if (verified.outcome !== 'verified') return verified;
        const membership =
          row.purpose === 'registration'
            ? await this.createMembership({ flowId: id, otpId: verified.otpId, connectionId: options.connectionId ?? null })
            : null;
        return { outcome: 'verified', otpId: verified.otpId, membership };
      }
      case 'verified':
        return {
          outcome: 'verified',
          otpId: row.otp_unique_id!,
          membership: row.membership_outcome
            ? toMembershipResult({
                outcome: row.membership_outcome,
                membership_unique_id: row.membership_unique_id,
                status: row.membership_status,
                creation_status: row.creation_status,
                retry_after_seconds: row.retry_after_seconds,
              })
            : null,
        };
      case 'invalid_code':
        return { outcome: 'invalid_code', otpId: row.otp_unique_id! };
      case 'too_many_failed_checks':
        return { outcome: row.outcome, retryAfterMs: seconds(row.retry_after_seconds) ?? 0 };
      default:
        return { outcome: row.outcome };
    }
  }

  /**
   * Whether another code may be sent for the flow now (routine
   * request_resend_otp); it sends nothing — `issueOtp` does.
   *
   * @example
   * ```ts
   * const resend = await client.requestResendOtp(flowId)
   * if (resend.outcome === 'resend_allowed') await client.issueOtp(flowId)
   * ```
   */
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
   *
   * @example
   * ```ts
   * const otp = await client.issueOtp(flowId)
   * if (otp.outcome === 'issued') await sms.send('+14155552671', `Your code: ${otp.code}`)
   * ```
   */
  async issueOtp(flowId: string): Promise<IssueOtpResult> {
    const id = check.uuid('flowId', flowId);
    const code = generateOtpCode();
    const stored = hashOtp(this.secrets.otpKeys, id, code);
    const row = await this.one<{
      outcome: 'created' | Exclude<IssueOtpResult['outcome'], 'issued'>;
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

  /**
   * Checks a code against the flow's active OTP in constant time; a wrong code
   * is recorded as a failed check.
   *
   * @example
   * ```ts
   * const check = await client.verifyOtp(flowId, '123456')
   * if (check.outcome === 'invalid_code') console.log('wrong code, try again')
   * ```
   */
  async verifyOtp(flowId: string, code: string): Promise<VerifyOtpResult> {
    const id = check.uuid('flowId', flowId);
    if (typeof code !== 'string' || !/^\d{6}$/.test(code)) throw new InvalidInputError('code', 'must be a string of 6 digits');
    const row = await this.maybe<FlowRow & { database_now: Date }>('get-full-flow-state', [id]);
    if (!row) return { outcome: 'flow_not_found' };
    if (row.status === 'verified') return { outcome: 'already_used' };
    if (row.status !== 'pending') return { outcome: 'flow_not_pending' };
    if (row.expires_at <= row.database_now) return { outcome: 'flow_expired' };
    if (!row.otp_unique_id || !row.otp_hash || !row.otp_salt) return { outcome: row.otp_count > 0 ? 'otp_expired' : 'otp_not_found' };
    const matches = otpMatches(this.secrets.otpKeys, id, code, { hash: row.otp_hash, salt: row.otp_salt });
    const update = await this.updateOtpStatus(row.otp_unique_id, matches ? 'verified' : 'failed');
    switch (update.outcome) {
      case 'updated':
        return matches ? { outcome: 'verified', otpId: row.otp_unique_id } : { outcome: 'invalid_code', otpId: row.otp_unique_id };
      case 'max_failed_checks_reached':
        return { outcome: 'max_failed_checks_reached' };
      case 'too_many_failed_checks':
        return { outcome: 'too_many_failed_checks', retryAfterMs: update.retryAfterMs ?? 0 };
      case 'flow_not_found':
        return { outcome: 'flow_not_found' };
      case 'flow_expired':
        return { outcome: 'flow_expired' };
      case 'otp_expired':
        return { outcome: 'otp_expired' };
      case 'otp_not_found':
        return { outcome: 'otp_not_found' };
      default:
        // Verified or replaced between our read and our write: the code was used once already.
        return { outcome: 'already_used' };
    }
  }

  /**
   * Sets an OTP's status (routine update_otp_status). `verifyOtp` is the usual
   * way to check a code; this is the routine itself.
   *
   * @example
   * ```ts
   * const result = await client.updateOtpStatus(otpId, 'expired')
   * console.log(result.outcome, result.success) // 'updated', true
   * ```
   */
  async updateOtpStatus(otpId: string, status: OtpStatus): Promise<UpdateOtpStatusResult> {
    const row = await this.one<Omit<UpdateOtpStatusResult, 'retryAfterMs'> & { retry_after_seconds: number | null }>('update-otp-status', [
      check.uuid('otpId', otpId),
      check.oneOf('status', status, OTP_STATUSES),
    ]);
    return { outcome: row.outcome, success: row.success, message: row.message, retryAfterMs: seconds(row.retry_after_seconds) };
  }

  /**
   * Ends a pending flow: `expired` or `failed` (routine update_verification_flow_status).
   *
   * @example
   * ```ts
   * const result = await client.updateVerificationFlowStatus(flowId, 'failed')
   * // { outcome: 'updated', rowsAffected: 1 }, or flow_not_found / invalid_status_transition
   * ```
   */
  async updateVerificationFlowStatus(flowId: string, status: FlowStatus): Promise<UpdateFlowStatusResult> {
    const row = await this.one<{ outcome: UpdateFlowStatusResult['outcome']; rows_affected: number }>('update-verification-flow-status', [
      check.uuid('flowId', flowId),
      check.oneOf('status', status, FLOW_STATUSES),
    ]);
    return row.outcome === 'updated' ? { outcome: 'updated', rowsAffected: row.rows_affected } : { outcome: row.outcome };
  }

  /**
   * Expires the flow's pending codes (routine expire_associated_otp).
   *
   * @example
   * ```ts
   * const result = await client.expireAssociatedOtp(flowId)
   * if (result.outcome === 'expired') console.log(result.expiredCount)
   * ```
   */
  async expireAssociatedOtp(flowId: string): Promise<ExpireOtpResult> {
    const row = await this.one<{ outcome: ExpireOtpResult['outcome']; expired_count: number }>('expire-associated-otp', [
      check.uuid('flowId', flowId),
    ]);
    return row.outcome === 'expired' ? { outcome: 'expired', expiredCount: row.expired_count } : { outcome: row.outcome };
  }

  /**
   * Records a sign-in attempt decided by the application (routine
   * log_login_attempt): a failure counts toward the number's lockout; a success
   * must confirm a key release (see `confirmLogin`).
   *
   * @example
   * ```ts
   * const result = await client.logLoginAttempt({ phoneNumber: '+14155552671', outcome: 'invalid_passphrase', isSuccess: false })
   * // { outcome: 'logged', loginAttemptId: 42 }, or { outcome: 'locked' } during a lockout
   * ```
   */
  async logLoginAttempt(input: { phoneNumber: string; outcome: string; isSuccess: boolean }): Promise<LogLoginAttemptResult> {
    check.input(input);
    const phone = check.phoneNumber('phoneNumber', input.phoneNumber);
    if (typeof input.isSuccess !== 'boolean') throw new InvalidInputError('isSuccess', 'must be true or false');
    const outcome = check.text('outcome', input.outcome, 255);
    if (outcome === 'key_released') throw new InvalidInputError('outcome', 'key_released is reserved for the key releases of login');
    const row = await this.one<{ outcome: LogLoginAttemptResult['outcome']; login_attempt_id: number | null }>('log-login-attempt', [
      phone.e164,
      outcome,
      input.isSuccess,
    ]);
    return row.outcome === 'logged' ? { outcome: 'logged', loginAttemptId: row.login_attempt_id! } : { outcome: row.outcome };
  }

  /**
   * Confirms a sign-in: the passphrase opened the key that `login` released
   * for this number. Only this resets the number's failure count and lockout
   * ladder; without a release to confirm nothing is written.
   *
   * @example
   * ```ts
   * const login = await client.login('+14155552671')
   * if (login.outcome === 'success' && passphraseOpens(login.secureKey)) {
   *   await client.confirmLogin('+14155552671') // { outcome: 'confirmed' }
   * }
   * ```
   */
  async confirmLogin(phoneNumber: string): Promise<ConfirmLoginResult> {
    const result = await this.logLoginAttempt({ phoneNumber, outcome: 'login_confirmed', isSuccess: true });
    return result.outcome === 'logged' ? { outcome: 'confirmed' } : { outcome: 'key_release_not_found' };
  }

  /**
   * Records a membership attempt of a phone (routine log_membership_attempt);
   * failures count toward create_membership's limit.
   *
   * @example
   * ```ts
   * const result = await client.logMembershipAttempt({ phoneId, outcome: 'passphrase_rejected', isSuccess: false })
   * if (result.outcome === 'logged') console.log(result.attemptId)
   * ```
   */
  async logMembershipAttempt(input: { phoneId: string; outcome: string; isSuccess: boolean }): Promise<LogMembershipAttemptResult> {
    check.input(input);
    if (typeof input.isSuccess !== 'boolean') throw new InvalidInputError('isSuccess', 'must be true or false');
    const row = await this.one<{ outcome: LogMembershipAttemptResult['outcome']; membership_attempt_unique_id: string | null }>(
      'log-membership-attempt',
      [check.uuid('phoneId', input.phoneId), check.text('outcome', input.outcome, 255), input.isSuccess],
    );
    return row.outcome === 'logged' ? { outcome: 'logged', attemptId: row.membership_attempt_unique_id! } : { outcome: row.outcome };
  }

  /**
   * Creates the membership of a verified registration flow (routine create_membership).
   *
   * @example
   * ```ts
   * const result = await client.createMembership({ flowId, otpId, connectionId: 42 })
   * if (result.outcome === 'created') console.log(result.membershipId, result.status) // …, 'active'
   * ```
   */
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
    return toMembershipResult(await this.one<MembershipRow>('create-membership', params));
  }

  /**
   * Stores the membership's secure key, encrypted with AES-256-GCM under the
   * current data key. `flowId` proves the phone: the verified registration
   * flow that created the membership (first key only), or a verified
   * password-recovery flow of the same phone (used up by this call).
   *
   * @example
   * ```ts
   * const result = await client.setSecureKey({ membershipId, flowId, secureKey: new Uint8Array([1, 2, 3]) })
   * if (result.outcome !== 'updated') console.warn(result.outcome) // invalid_proof, membership_blocked, …
   * ```
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
      retry_after_seconds: number | null;
    }>('update-membership-secure-key', [id, encryptSecureKey(this.secrets.dataKeys, id, plaintext), flowId]);
    if (row.outcome === 'updated')
      return { outcome: 'updated', membershipId: row.membership_unique_id!, status: row.status!, creationStatus: row.creation_status };
    if (row.outcome === 'rate_limit_exceeded') return { outcome: row.outcome, retryAfterMs: seconds(row.retry_after_seconds) ?? 0 };
    return { outcome: row.outcome } as SetSecureKeyResult;
  }

  /**
   * Asks for the secure key of a phone number: lockout first; on success the
   * key, decrypted. A release is not a sign-in: confirm it with `confirmLogin`
   * once the passphrase opened the key, or report a wrong passphrase with
   * `logLoginAttempt({ ..., isSuccess: false })`.
   *
   * @example
   * ```ts
   * const login = await client.login('(415) 555-2671', 'US')
   * if (login.outcome === 'locked') console.log(`locked for ${login.retryAfterMs} ms`)
   * response.json({ result: login.publicOutcome })
   * ```
   */
  async login(phoneNumber: string, region?: string | null): Promise<LoginResult> {
    const phone = check.phoneNumber('phoneNumber', phoneNumber, region);
    const row = await this.one<{
      outcome: LoginResult['outcome'];
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
      default: {
        const retryAfterMs = seconds(row.retry_after_seconds);
        const limited = retryAfterMs !== null || row.outcome === 'too_many_key_releases';
        return { outcome: row.outcome, publicOutcome: limited ? 'too_many_attempts' : 'invalid_credentials', retryAfterMs };
      }
    }
  }

  /**
   * The active phone's number and region, or null (function get_phone_number).
   *
   * @example
   * ```ts
   * const phone = await client.getPhoneNumber(phoneId)
   * // { phoneNumber: '+14155552671', region: 'US' } or null
   * ```
   */
  async getPhoneNumber(phoneId: string): Promise<{ phoneNumber: string; region: string | null } | null> {
    const row = await this.maybe<{ phone_number: string; region: string | null }>('get-phone-number', [check.uuid('phoneId', phoneId)]);
    return row ? { phoneNumber: row.phone_number, region: row.region } : null;
  }

  /**
   * The active phone's id, number and region, or null (function get_phone_number_details).
   *
   * @example
   * ```ts
   * const phone = await client.getPhoneNumberDetails(phoneId)
   * // { phoneId, phoneNumber: '+14155552671', region: 'US' } or null
   * ```
   */
  async getPhoneNumberDetails(phoneId: string): Promise<{ phoneId: string; phoneNumber: string; region: string | null } | null> {
    const row = await this.maybe<{ phone_number: string; region: string | null; phone_unique_id: string }>('get-phone-number-details', [
      check.uuid('phoneId', phoneId),
    ]);
    return row ? { phoneId: row.phone_unique_id, phoneNumber: row.phone_number, region: row.region } : null;
  }

  /**
   * The active flow with its active, unexpired code (never the code itself), or
   * null (function get_full_flow_state).
   *
   * @example
   * ```ts
   * const flow = await client.getFlowState(flowId)
   * if (flow?.activeOtp) console.log(flow.activeOtp.otpId, flow.activeOtp.expiresAt)
   * ```
   */
  async getFlowState(flowId: string): Promise<FlowState | null> {
    const row = await this.maybe<FlowRow>('get-full-flow-state', [check.uuid('flowId', flowId)]);
    return row ? toFlowState(row) : null;
  }
}

/**
 * A {@link MembershipsClient} over a database the application opened.
 *
 * @example
 * ```ts
 * import { createMembershipsClient, fromPgPool, loadSecrets } from 'ecliptix-persistor'
 *
 * const client = createMembershipsClient({ db: fromPgPool(pool), secrets: loadSecrets({}) })
 * const result = await client.login('+14155552671')
 * ```
 */
export function createMembershipsClient(options: MembershipsClientOptions): MembershipsClient {
  return new MembershipsClient(options);
}
