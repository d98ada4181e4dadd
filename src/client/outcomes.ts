/**
 * Typed results of the memberships client: each method returns a
 * discriminated union on `outcome` (the routine's stable snake_case code), so
 * callers switch over cases instead of comparing strings by hand. Lockouts and
 * rate limits carry `retryAfterMs`.
 *
 * This file is the one place where the client's outcome types live. Every
 * code follows the naming convention of the routines (migrations/README.md,
 * "Naming convention"): `<thing>_<state>` with the thing named as its table's
 * singular (`phone_number_not_found`, `flow_not_found`, `secure_key_not_set`),
 * and identifiers are `<thing>Id` fields. Bad input is never an outcome: the
 * client throws `InvalidInputError` before any query.
 */
import type { PhoneNumber } from './validate.js';

/**
 * The purposes of a verification flow (verification_flows.purpose).
 *
 * @example
 * Validate a purpose from a request before starting a flow:
 *
 * ```ts
 * import { FLOW_PURPOSES, type FlowPurpose } from 'ecliptix-persistor'
 *
 * const isPurpose = (value: string): value is FlowPurpose =>
 *   (FLOW_PURPOSES as readonly string[]).includes(value)
 * ```
 */
export const FLOW_PURPOSES = ['unspecified', 'registration', 'login', 'password_recovery', 'update_phone'] as const;
/**
 * One of {@link FLOW_PURPOSES}.
 *
 * @example
 * ```ts
 * const purpose: FlowPurpose = 'registration'
 * await client.initiateVerificationFlow({ appDeviceId, phoneId, purpose })
 * ```
 */
export type FlowPurpose = (typeof FLOW_PURPOSES)[number];
/**
 * The statuses of a verification flow (verification_flows.status).
 *
 * @example
 * ```ts
 * import { FLOW_STATUSES } from 'ecliptix-persistor'
 *
 * console.log(FLOW_STATUSES.join(', ')) // pending, verified, expired, failed
 * ```
 */
export const FLOW_STATUSES = ['pending', 'verified', 'expired', 'failed'] as const;
/**
 * One of {@link FLOW_STATUSES}.
 *
 * @example
 * ```ts
 * const status: FlowStatus = 'failed'
 * await client.updateVerificationFlowStatus(flowId, status)
 * ```
 */
export type FlowStatus = (typeof FLOW_STATUSES)[number];
/**
 * An OTP's statuses (otp_records_status_check); the same words as a flow's, checked by their own constraint.
 *
 * @example
 * ```ts
 * const expiring = OTP_STATUSES.filter((status) => status !== 'pending')
 * ```
 */
export const OTP_STATUSES = ['pending', 'verified', 'expired', 'failed'] as const;
/**
 * One of {@link OTP_STATUSES}.
 *
 * @example
 * ```ts
 * const status: OtpStatus = 'expired'
 * await client.updateOtpStatus(otpId, status)
 * ```
 */
export type OtpStatus = (typeof OTP_STATUSES)[number];
/**
 * How far the creation of a membership got (memberships.creation_status).
 *
 * @example
 * ```ts
 * import { CREATION_STATUSES } from 'ecliptix-persistor'
 *
 * CREATION_STATUSES.includes('secure_key_set') // true
 * ```
 */
export const CREATION_STATUSES = ['otp_verified', 'secure_key_set', 'passphrase_set'] as const;
/**
 * One of {@link CREATION_STATUSES}.
 *
 * @example
 * ```ts
 * await client.createMembership({ flowId, otpId, creationStatus: 'otp_verified' })
 * ```
 */
export type CreationStatus = (typeof CREATION_STATUSES)[number];
/**
 * A membership's status (memberships.status).
 *
 * @example
 * ```ts
 * const result = await client.login('+14155550123')
 * if (result.outcome === 'success' && result.status === 'active') {
 *   // use result.secureKey
 * }
 * ```
 */
export type MembershipStatus = 'active' | 'inactive' | 'blocked';

/**
 * A verification flow with its active OTP, as `getFlowState` and
 * `initiateVerificationFlow` return it (routine get_full_flow_state).
 *
 * @example
 * ```ts
 * const flow = await client.getFlowState(flowId)
 * if (flow?.status === 'pending' && flow.expiresAt > new Date()) {
 *   console.log(flow.activeOtp?.otpId)
 * }
 * ```
 */
export interface FlowState {
  flowId: string;
  phoneId: string;
  appDeviceId: string;
  connectionId: number | null;
  expiresAt: Date;
  status: FlowStatus;
  purpose: FlowPurpose;
  otpCount: number;
  /** The flow's active, unexpired OTP (never its code or hash). */
  activeOtp: { otpId: string; expiresAt: Date; status: OtpStatus } | null;
}

/**
 * The result of `registerDevice` (routine register_app_device_if_not_exists).
 *
 * @example
 * ```ts
 * const { outcome, deviceId } = await client.registerDevice({ appInstanceId, deviceId: hardwareId })
 * console.log(outcome) // 'created' the first time, 'exists' after
 * ```
 */
export type RegisterDeviceResult = { outcome: 'created' | 'exists'; deviceId: string };

/**
 * The result of `ensurePhoneNumber` (routine ensure_phone_number).
 *
 * @example
 * ```ts
 * const result = await client.ensurePhoneNumber({ phoneNumber: '+14155550123', appDeviceId: deviceId })
 * if (result.outcome === 'exists_but_app_device_not_found' || result.outcome === 'created_but_app_device_not_found') {
 *   // register the device first; the phone's id is not disclosed here
 * } else {
 *   console.log(result.phoneId)
 * }
 * ```
 */
export type EnsurePhoneNumberResult =
  | { outcome: 'created' | 'exists' | 'associated' | 'created_and_associated'; phoneId: string; phone: PhoneNumber }
  /** The device is unknown; the phone is kept but its id is not disclosed. */
  | { outcome: 'exists_but_app_device_not_found' | 'created_but_app_device_not_found'; phone: PhoneNumber };

/**
 * The result of `verifyPhoneForSecretKeyRecovery` (routine verify_phone_for_secret_key_recovery).
 *
 * @example
 * ```ts
 * const result = await client.verifyPhoneForSecretKeyRecovery({ phoneNumber: '+14155550123' })
 * if (result.outcome === 'eligible_for_recovery') {
 *   await client.initiateVerificationFlow({ appDeviceId, phoneId: result.phoneId, purpose: 'password_recovery' })
 * }
 * ```
 */
export type RecoveryEligibilityResult =
  | { outcome: 'eligible_for_recovery'; phoneId: string }
  | { outcome: 'phone_number_not_found' | 'membership_not_found' | 'secure_key_not_set' | 'membership_blocked' };

/**
 * The result of `initiateVerificationFlow` (routine initiate_verification_flow).
 *
 * @example
 * ```ts
 * const result = await client.initiateVerificationFlow({ appDeviceId, phoneId, purpose: 'registration' })
 * switch (result.outcome) {
 *   case 'created':
 *   case 'retrieved':
 *   case 'verified':
 *     return result.flow.flowId
 *   case 'rate_limit_exceeded':
 *     throw new Error(`try again in ${result.retryAfterMs} ms`)
 *   default:
 *     throw new Error(result.outcome) // phone_number_not_found, app_device_not_found
 * }
 * ```
 */
export type InitiateFlowResult =
  | { outcome: 'created' | 'retrieved' | 'verified'; flow: FlowState }
  | { outcome: 'phone_number_not_found' | 'app_device_not_found' }
  | { outcome: 'rate_limit_exceeded'; retryAfterMs: number | null };

/**
 * The result of `requestResendOtp` (routine request_resend_otp).
 *
 * @example
 * ```ts
 * const result = await client.requestResendOtp(flowId)
 * if (result.outcome === 'resend_cooldown_active') console.log(`wait ${result.retryAfterMs} ms`)
 * ```
 */
export type ResendResult =
  | { outcome: 'resend_allowed' }
  | { outcome: 'resend_cooldown_active'; retryAfterMs: number }
  | { outcome: 'flow_not_found' | 'flow_not_pending' | 'flow_expired' | 'max_otps_reached' };

/**
 * The result of `issueOtp` (routine insert_otp_record).
 *
 * @example
 * ```ts
 * const result = await client.issueOtp(flowId)
 * if (result.outcome === 'issued') await sms.send(phoneNumber, result.code)
 * ```
 */
export type IssueOtpResult =
  | { outcome: 'issued'; otpId: string; /** Send this to the user once; it is not stored anywhere. */ code: string }
  /** The flow's last code is younger than the resend cooldown (checked in the database, for every code). */
  | { outcome: 'resend_cooldown_active'; retryAfterMs: number }
  | { outcome: 'flow_not_found' | 'flow_not_pending' | 'flow_expired' | 'max_otps_reached' };

/**
 * The result of `verifyOtp` (routines get_full_flow_state and update_otp_status).
 *
 * @example
 * ```ts
 * const result = await client.verifyOtp(flowId, '123456')
 * if (result.outcome === 'verified') {
 *   await client.createMembership({ flowId, otpId: result.otpId })
 * }
 * ```
 */
export type VerifyOtpResult =
  | { outcome: 'verified'; otpId: string }
  | { outcome: 'invalid_code'; otpId: string }
  /** The check was recorded and was the flow's last allowed failure: the flow failed. */
  | { outcome: 'max_failed_checks_reached' }
  /** The phone number is over its guessing budget across all its flows; says nothing about the code. */
  | { outcome: 'too_many_failed_checks'; retryAfterMs: number }
  /** otp_not_found: the flow has no active code (none issued, or replaced meanwhile). */
  | { outcome: 'flow_not_found' | 'flow_not_pending' | 'flow_expired' | 'otp_expired' | 'otp_not_found' | 'already_used' };

/**
 * The result of `startVerification` (routine start_verification, the user's
 * "send me a code"): a code to send, or why there is none.
 *
 * @example
 * ```ts
 * const started = await client.startVerification({ phoneNumber: '+14155552671', appDeviceId: deviceId, purpose: 'registration' })
 * if (started.outcome === 'issued') await sms.send('+14155552671', `Your code: ${started.code}`)
 * ```
 */
export type StartVerificationResult =
  /** A new flow, or the device's pending one (`resumed`), with a fresh code; send `code` to the user once. */
  | { outcome: 'issued'; flow: FlowState; otpId: string; code: string; resumed: boolean }
  /** The device already verified this phone for this purpose, and the flow is still valid: no code needed. */
  | { outcome: 'verified'; flow: FlowState }
  /** The pending flow's last code is younger than the resend cooldown. */
  | { outcome: 'resend_cooldown_active'; flowId: string; retryAfterMs: number }
  /** The phone started max_flows_per_phone_per_hour flows within the window. */
  | { outcome: 'rate_limit_exceeded'; retryAfterMs: number | null }
  | { outcome: 'max_otps_reached'; flowId: string }
  | { outcome: 'app_device_not_found' | 'flow_not_found' | 'flow_not_pending' | 'flow_expired' };

/**
 * The result of `checkCode` (routine check_code, the user's "here is my
 * code"): `verifyOtp`'s outcomes, and on a verified registration the
 * membership created in the same commit (`createMembership`'s result; `null`
 * for other purposes).
 *
 * @example
 * ```ts
 * const checked = await client.checkCode(flowId, '042917')
 * if (checked.outcome === 'verified' && checked.membership?.outcome === 'created') console.log(checked.membership.membershipId)
 * ```
 */
export type CheckCodeResult =
  { outcome: 'verified'; otpId: string; membership: CreateMembershipResult | null } | Exclude<VerifyOtpResult, { outcome: 'verified' }>;

/**
 * The result of `updateOtpStatus` (routine update_otp_status).
 *
 * @example
 * ```ts
 * const result = await client.updateOtpStatus(otpId, 'expired')
 * if (!result.success) console.warn(result.outcome, result.message)
 * ```
 */
export type UpdateOtpStatusResult = {
  outcome:
    | 'updated'
    | 'max_failed_checks_reached'
    | 'otp_not_found'
    | 'flow_not_found'
    | 'flow_not_pending'
    | 'flow_expired'
    | 'invalid_status_transition'
    | 'otp_expired'
    | 'otp_not_active'
    | 'too_many_failed_checks';
  success: boolean;
  message: string;
  /** too_many_failed_checks: when a check is allowed again. */
  retryAfterMs: number | null;
};

/**
 * The result of `updateVerificationFlowStatus` (routine update_verification_flow_status).
 *
 * @example
 * ```ts
 * const result = await client.updateVerificationFlowStatus(flowId, 'failed')
 * if (result.outcome === 'updated') console.log(result.rowsAffected) // 0 when it was failed already
 * ```
 */
export type UpdateFlowStatusResult =
  { outcome: 'updated'; rowsAffected: number } | { outcome: 'flow_not_found' | 'invalid_status_transition' };
/**
 * The result of `expireAssociatedOtp` (routine expire_associated_otp).
 *
 * @example
 * ```ts
 * const result = await client.expireAssociatedOtp(flowId)
 * if (result.outcome === 'expired') console.log(`${result.expiredCount} codes expired`)
 * ```
 */
export type ExpireOtpResult = { outcome: 'expired'; expiredCount: number } | { outcome: 'flow_not_found' };
/**
 * The result of `logLoginAttempt` (routine log_login_attempt).
 *
 * @example
 * ```ts
 * const result = await client.logLoginAttempt({ phoneNumber, outcome: 'wrong_passphrase', isSuccess: false })
 * if (result.outcome === 'logged') console.log(result.loginAttemptId)
 * ```
 */
export type LogLoginAttemptResult =
  | { outcome: 'logged'; /** login_attempts has no unique_id: its bigint id. */ loginAttemptId: number }
  /** A success reported without a key release to confirm: nothing was written. */
  | { outcome: 'key_release_not_found' }
  /** A failure during a lockout: counted on the lockout's row, no row added. */
  | { outcome: 'locked' };

/**
 * The result of `confirmLogin` (routine log_login_attempt with a success).
 *
 * @example
 * ```ts
 * const result = await client.confirmLogin('+14155550123')
 * if (result.outcome === 'key_release_not_found') {
 *   // no key was released for this number recently: nothing was recorded
 * }
 * ```
 */
export type ConfirmLoginResult = { outcome: 'confirmed' } | { outcome: 'key_release_not_found' };
/**
 * The result of `logMembershipAttempt` (routine log_membership_attempt).
 *
 * @example
 * ```ts
 * const result = await client.logMembershipAttempt({ phoneId, outcome: 'abandoned', isSuccess: false })
 * if (result.outcome === 'logged') console.log(result.attemptId)
 * ```
 */
export type LogMembershipAttemptResult = { outcome: 'logged'; attemptId: string } | { outcome: 'phone_number_not_found' };

/**
 * A membership as `createMembership` and `setSecureKey` return it.
 *
 * @example
 * ```ts
 * const result = await client.createMembership({ flowId, otpId })
 * if (result.outcome === 'created') {
 *   const membership: Membership = result
 *   console.log(membership.membershipId, membership.status)
 * }
 * ```
 */
export interface Membership {
  membershipId: string;
  status: MembershipStatus;
  creationStatus: CreationStatus | null;
}

/**
 * The result of `createMembership` (routine create_membership).
 *
 * @example
 * ```ts
 * const result = await client.createMembership({ flowId, otpId, connectionId: 7 })
 * if (result.outcome === 'rate_limit_exceeded') console.log(`try again in ${result.retryAfterMs} ms`)
 * ```
 */
export type CreateMembershipResult =
  | ({ outcome: 'created' } & Membership)
  | { outcome: 'rate_limit_exceeded'; retryAfterMs: number }
  | {
      outcome:
        | 'membership_already_exists'
        | 'flow_not_found'
        | 'connection_mismatch'
        | 'invalid_flow_purpose'
        | 'flow_not_verified'
        | 'flow_expired'
        | 'otp_not_found';
    };

/**
 * The result of `setSecureKey` (routine update_membership_secure_key). An
 * empty key is bad input: `setSecureKey` throws `InvalidInputError`.
 *
 * @example
 * ```ts
 * const result = await client.setSecureKey({ membershipId, flowId, secureKey })
 * if (result.outcome === 'invalid_proof') {
 *   // the flow is not a verified registration or recovery flow of this phone
 * }
 * ```
 */
export type SetSecureKeyResult =
  | ({ outcome: 'updated' } & Membership)
  | { outcome: 'rate_limit_exceeded'; retryAfterMs: number }
  | { outcome: 'membership_not_found' | 'membership_blocked' | 'membership_inactive' | 'invalid_proof' };

/**
 * What a sign-in may tell the person signing in. Unknown numbers, numbers
 * without a usable membership and wrong attempts all read `invalid_credentials`;
 * `too_many_attempts` is safe to show because unknown numbers are locked out by
 * the same rule as known ones, so it reveals nothing about existence.
 *
 * @example
 * ```ts
 * const { publicOutcome } = await client.login(phoneNumber)
 * response.json({ result: publicOutcome }) // never result.outcome
 * ```
 */
export type PublicLoginOutcome = 'success' | 'invalid_credentials' | 'too_many_attempts';

/**
 * The result of `login` (routine login_membership).
 *
 * @example
 * ```ts
 * const result = await client.login('+14155550123')
 * if (result.outcome === 'success') {
 *   const opened = openWithPassphrase(result.secureKey, passphrase)
 *   if (opened) await client.confirmLogin('+14155550123')
 *   else await client.logLoginAttempt({ phoneNumber: '+14155550123', outcome: 'wrong_passphrase', isSuccess: false })
 * }
 * ```
 */
export type LoginResult = (
  | {
      /**
       * The secure key was released. This is not yet a sign-in: call
       * `confirmLogin` once the passphrase opened the key (that alone resets the
       * lockout ladder), or `logLoginAttempt(..., isSuccess: false)` if it did not.
       */
      outcome: 'success';
      membershipId: string;
      status: MembershipStatus;
      /** Decrypted. */ secureKey: Buffer;
    }
  | { outcome: 'locked'; retryAfterMs: number }
  | {
      outcome:
        | 'phone_number_not_found'
        | 'membership_not_found'
        | 'secure_key_not_set'
        | 'membership_blocked'
        | 'membership_inactive'
        | 'too_many_key_releases';
      /** Set when this failure started a lockout. */
      retryAfterMs: number | null;
    }
) & {
  /** The only thing to show the person signing in (see PublicLoginOutcome). */
  publicOutcome: PublicLoginOutcome;
};
