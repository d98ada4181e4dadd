/**
 * Typed results of the memberships client: each method returns a
 * discriminated union on `outcome` (the routine's stable snake_case code), so
 * callers switch over cases instead of comparing strings by hand. Lockouts and
 * rate limits carry `retryAfterMs`.
 */
import type { PhoneNumber } from './validate.js';

export const FLOW_PURPOSES = ['unspecified', 'registration', 'login', 'password_recovery', 'update_phone'] as const;
export type FlowPurpose = (typeof FLOW_PURPOSES)[number];
export const FLOW_STATUSES = ['pending', 'verified', 'expired', 'failed'] as const;
export type FlowStatus = (typeof FLOW_STATUSES)[number];
/** An OTP's statuses (otp_records_status_check); the same words as a flow's, checked by their own constraint. */
export const OTP_STATUSES = ['pending', 'verified', 'expired', 'failed'] as const;
export type OtpStatus = (typeof OTP_STATUSES)[number];
export const CREATION_STATUSES = ['otp_verified', 'secure_key_set', 'passphrase_set'] as const;
export type CreationStatus = (typeof CREATION_STATUSES)[number];
export type MembershipStatus = 'active' | 'inactive' | 'blocked';

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

export type RegisterDeviceResult = { outcome: 'created' | 'exists'; deviceId: string };

export type EnsurePhoneNumberResult =
  | { outcome: 'created' | 'exists' | 'associated' | 'created_and_associated'; phoneId: string; phone: PhoneNumber }
  /** The device is unknown; the phone is kept but its id is not disclosed. */
  | { outcome: 'exists_but_invalid_app_device' | 'created_but_invalid_app_device'; phone: PhoneNumber };

export type RecoveryEligibilityResult =
  | { outcome: 'eligible_for_recovery'; phoneId: string }
  | { outcome: 'phone_not_found' | 'membership_not_found' | 'no_secure_key' | 'membership_blocked' };

export type InitiateFlowResult =
  | { outcome: 'created' | 'retrieved' | 'verified'; flow: FlowState }
  | { outcome: 'phone_not_found' | 'app_device_not_found' }
  | { outcome: 'global_rate_limit_exceeded'; retryAfterMs: number | null };

export type ResendResult =
  | { outcome: 'resend_allowed' }
  | { outcome: 'resend_cooldown_active'; retryAfterMs: number }
  | { outcome: 'flow_not_found_or_invalid' | 'flow_expired' | 'max_otp_attempts_reached' };

export type IssueOtpResult =
  | { outcome: 'issued'; otpId: string; /** Send this to the user once; it is not stored anywhere. */ code: string }
  /** The flow's last code is younger than the resend cooldown (checked in the database, for every code). */
  | { outcome: 'resend_cooldown_active'; retryAfterMs: number }
  | { outcome: 'flow_not_found_or_invalid' | 'flow_expired' | 'max_otp_attempts_reached' };

export type VerifyOtpResult =
  | { outcome: 'verified'; otpId: string }
  | { outcome: 'invalid_code'; otpId: string }
  | { outcome: 'max_failed_attempts_reached' }
  /** The phone number is over its guessing budget across all its flows; says nothing about the code. */
  | { outcome: 'too_many_failed_checks'; retryAfterMs: number }
  | { outcome: 'flow_not_found' | 'flow_not_pending' | 'flow_expired' | 'otp_expired' | 'no_active_otp' | 'already_used' };

export type UpdateOtpStatusResult = {
  outcome:
    | 'updated'
    | 'max_failed_attempts_reached'
    | 'otp_not_found'
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

export type UpdateFlowStatusResult =
  { outcome: 'updated'; rowsAffected: number } | { outcome: 'flow_not_found' | 'invalid_status_transition' };
export type ExpireOtpResult = { outcome: 'expired'; expiredCount: number } | { outcome: 'flow_not_found' };
export type LogLoginAttemptResult =
  | { outcome: 'logged'; id: number }
  /** A success reported without a key release to confirm: nothing was written. */
  | { outcome: 'no_key_release' }
  /** A failure during a lockout: counted on the lockout's row, no row added. */
  | { outcome: 'locked' };

export type ConfirmLoginResult = { outcome: 'confirmed' } | { outcome: 'no_key_release' };
export type LogMembershipAttemptResult = { outcome: 'logged'; attemptId: string } | { outcome: 'phone_not_found' };

export interface Membership {
  membershipId: string;
  status: MembershipStatus;
  creationStatus: CreationStatus | null;
}

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

export type SetSecureKeyResult =
  | ({ outcome: 'updated' } & Membership)
  | { outcome: 'rate_limit_exceeded'; retryAfterMs: number }
  | { outcome: 'membership_not_found' | 'membership_blocked' | 'membership_inactive' | 'invalid_proof' | 'secure_key_cannot_be_empty' };

/**
 * What a sign-in may tell the person signing in. Unknown numbers, numbers
 * without a usable membership and wrong attempts all read `invalid_credentials`;
 * `too_many_attempts` is safe to show because unknown numbers are locked out by
 * the same rule as known ones, so it reveals nothing about existence.
 */
export type PublicLoginOutcome = 'success' | 'invalid_credentials' | 'too_many_attempts';

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
      outcome: 'phone_number_not_found' | 'membership_not_found' | 'secure_key_not_set' | 'inactive_membership' | 'too_many_key_releases';
      /** Set when this failure started a lockout. */
      retryAfterMs: number | null;
    }
) & {
  /** The only thing to show the person signing in (see PublicLoginOutcome). */
  publicOutcome: PublicLoginOutcome;
};
