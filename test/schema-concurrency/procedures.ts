/**
 * Small typed wrappers over the ecliptix procedures, shared by the
 * schema-concurrency, no-data-loss and index suites. Each wrapper calls the
 * procedure exactly as an application would (`SELECT * FROM ecliptix.f($1, …)`)
 * and returns its one row. (The lock-removal mutants are in mutants.ts.)
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/db/database.js';

export type Row = Record<string, unknown>;

/** `SELECT * FROM ecliptix.<name>($1 … $n)`; every procedure returns exactly one row. */
export async function call<T extends Row = Row>(db: Queryable, name: string, args: readonly unknown[]): Promise<T> {
  const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
  const { rows } = await db.query<T>(`SELECT * FROM ecliptix.${name}(${placeholders})`, args);
  if (rows.length !== 1) throw new Error(`ecliptix.${name} returned ${rows.length} rows, expected 1`);
  return rows[0]!;
}

export interface DeviceResult extends Row {
  outcome: string;
  app_device_id: string;
  status: number;
}

export function registerDevice(
  db: Queryable,
  deviceId: string = randomUUID(),
  appInstanceId: string = randomUUID(),
): Promise<DeviceResult> {
  return call<DeviceResult>(db, 'register_app_device_if_not_exists', [appInstanceId, deviceId, 1]);
}

export interface PhoneResult extends Row {
  outcome: string;
  phone_unique_id: string;
  success: boolean;
}

export function ensurePhone(
  db: Queryable,
  phone: string,
  region: string | null = null,
  deviceUid: string | null = null,
): Promise<PhoneResult> {
  return call<PhoneResult>(db, 'ensure_phone_number', [phone, region, deviceUid]);
}

export interface FlowResult extends Row {
  outcome: string;
  flow_unique_id: string | null;
  phone_unique_id: string | null;
  status: string | null;
  otp_count: number | null;
}

export function initiateFlow(
  db: Queryable,
  deviceUid: string,
  phoneUid: string,
  purpose = 'registration',
  connectionId: number | null = null,
): Promise<FlowResult> {
  return call<FlowResult>(db, 'initiate_verification_flow', [deviceUid, phoneUid, purpose, connectionId]);
}

export interface OtpResult extends Row {
  outcome: string;
  otp_unique_id: string | null;
  /** Set with resend_cooldown_active: seconds until the flow's next code (otp_resend_cooldown). */
  retry_after_seconds: number | null;
}

/**
 * An OTP valid for five minutes of the database clock. The flow's next one is
 * refused (resend_cooldown_active) until otp_resend_cooldown has passed since
 * its last one.
 */
export async function insertOtp(db: Queryable, flowUid: string, hash = 'aGFzaA==', salt = 'c2FsdA=='): Promise<OtpResult> {
  const { rows } = await db.query<OtpResult>(
    "SELECT * FROM ecliptix.insert_otp_record($1, $2, $3, ecliptix_internal.now() + interval '5 minutes')",
    [flowUid, hash, salt],
  );
  return rows[0]!;
}

export interface OtpStatusResult extends Row {
  outcome: string;
  success: boolean;
  message: string;
  /** Set with too_many_failed_checks: seconds until a check of the number is allowed. */
  retry_after_seconds: number | null;
}

export function updateOtpStatus(db: Queryable, otpUid: string, status: string): Promise<OtpStatusResult> {
  return call<OtpStatusResult>(db, 'update_otp_status', [otpUid, status]);
}

export interface MembershipResult extends Row {
  outcome: string;
  membership_unique_id: string | null;
  status: string | null;
  creation_status: string | null;
  retry_after_seconds: number | null;
}

export function createMembership(db: Queryable, flowUid: string, connectionId: number | null, otpUid: string): Promise<MembershipResult> {
  return call<MembershipResult>(db, 'create_membership', [flowUid, connectionId, otpUid, 'otp_verified']);
}

export interface SecureKeyResult extends Row {
  outcome: string;
  membership_unique_id: string | null;
  status: string | null;
  creation_status: string | null;
  retry_after_seconds: number | null;
}

/** update_membership_secure_key: `flowUid` is the proof (the verified registration flow, or a verified password_recovery flow). */
export function setSecureKey(db: Queryable, membershipUid: string, key: Uint8Array, flowUid: string): Promise<SecureKeyResult> {
  return call<SecureKeyResult>(db, 'update_membership_secure_key', [membershipUid, key, flowUid]);
}

export interface LoginResult extends Row {
  outcome: string;
  membership_unique_id: string | null;
  status: string | null;
  secure_key: Uint8Array | null;
  retry_after_seconds: number | null;
}

/** login_membership: on success the key is released (recorded as 'key_released'); see confirmLogin. */
export function login(db: Queryable, phone: string): Promise<LoginResult> {
  return call<LoginResult>(db, 'login_membership', [phone]);
}

export interface LogLoginResult extends Row {
  outcome: string;
  login_attempt_id: number | null;
}

/** log_login_attempt(phone, outcome, true): confirms a key release of the number (key_release_not_found without one). */
export function confirmLogin(db: Queryable, phone: string, outcome = 'signed_in'): Promise<LogLoginResult> {
  return call<LogLoginResult>(db, 'log_login_attempt', [phone, outcome, true]);
}

/** Device + phone (linked) + registration flow verified through its OTP. */
export async function verifiedRegistrationFlow(
  db: Queryable,
  phone: string,
  connectionId: number | null = null,
): Promise<{ deviceUid: string; phoneUid: string; flowUid: string; otpUid: string }> {
  const deviceUid = (await registerDevice(db)).app_device_id;
  const phoneUid = (await ensurePhone(db, phone, null, deviceUid)).phone_unique_id;
  const flow = await initiateFlow(db, deviceUid, phoneUid, 'registration', connectionId);
  if (flow.outcome !== 'created' || !flow.flow_unique_id) throw new Error(`initiate_verification_flow: ${flow.outcome}`);
  const otp = await insertOtp(db, flow.flow_unique_id);
  if (otp.outcome !== 'created' || !otp.otp_unique_id) throw new Error(`insert_otp_record: ${otp.outcome}`);
  const verified = await updateOtpStatus(db, otp.otp_unique_id, 'verified');
  if (verified.outcome !== 'updated') throw new Error(`update_otp_status: ${verified.outcome}`);
  return { deviceUid, phoneUid, flowUid: flow.flow_unique_id, otpUid: otp.otp_unique_id };
}

/** Opens every connection of a pool up front, so that the calls of a race start together. */
export async function warmUp(db: Queryable, connections: number): Promise<void> {
  await Promise.all(Array.from({ length: connections }, () => db.query('SELECT pg_sleep(0.05)')));
}

/** Counts outcomes: { created: 1, exists: 31 }. */
export function tally(results: readonly { outcome: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}
