/**
 * Helpers for the schema behaviour suites: call the ecliptix routines, walk a
 * user through the usual journey (device → phone → flow → OTP → verified flow
 * → membership → secure key), move the database clock, and take snapshots of
 * all 10 tables to prove that a refused call wrote nothing.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Queryable } from '../../src/db/database.js';

/** Rows read straight from a table or a routine whose shape a test inspects loosely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows are inspected loosely on purpose
export type Row = Record<string, any>;

export const TABLES = [
  'app_devices',
  'phone_numbers',
  'phone_number_devices',
  'verification_flows',
  'otp_records',
  'failed_otp_attempts',
  'memberships',
  'membership_attempts',
  'login_attempts',
  'event_log',
] as const;
export type TableName = (typeof TABLES)[number];

export type Purpose = 'unspecified' | 'registration' | 'login' | 'password_recovery' | 'update_phone';

// ---------------------------------------------------------------------------
// Calling routines
// ---------------------------------------------------------------------------

/** `SELECT * FROM ecliptix.<routine>($1, …)`: every row it returns. */
export async function callRows<T = Row>(db: Queryable, routine: string, ...args: unknown[]): Promise<T[]> {
  const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
  const result = await db.query<T>(`SELECT * FROM ecliptix.${routine}(${placeholders})`, args);
  return result.rows;
}

/** Calls a procedure, which must return exactly one row. */
export async function call<T = Row>(db: Queryable, routine: string, ...args: unknown[]): Promise<T> {
  const rows = await callRows<T>(db, routine, ...args);
  expect(rows, `${routine} must return exactly one row`).toHaveLength(1);
  return rows[0]!;
}

/** Awaits `work`, which must fail with PostgreSQL error `code` and a message matching `message`. */
export async function expectPgError(work: Promise<unknown>, code: string, message: RegExp | string): Promise<void> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected SQLSTATE ${code}, but the call succeeded`).toBeDefined();
  const { code: actual, message: text } = error as { code?: string; message?: string };
  expect({ code: actual, message: text }).toEqual({ code, message: expect.stringMatching(message) });
}

// ---------------------------------------------------------------------------
// Clock and settings
// ---------------------------------------------------------------------------

export async function setSetting(db: Queryable, name: string, value: string): Promise<void> {
  const result = await db.query('UPDATE ecliptix_internal.settings SET value = $2 WHERE name = $1', [name, value]);
  expect(result.rowCount, `setting ${name} exists`).toBe(1);
}

/** Moves the database clock (ecliptix_internal.now() = now() + offset), e.g. '10 minutes'. */
export function setClock(db: Queryable, offset: string): Promise<void> {
  return setSetting(db, 'clock_offset', offset);
}

/** Moves the database clock forward by `interval` from where it is now, e.g. '31 seconds'. */
export async function advanceClock(db: Queryable, interval: string): Promise<void> {
  const result = await db.query(
    "UPDATE ecliptix_internal.settings SET value = (value::interval + $1::interval)::text WHERE name = 'clock_offset'",
    [interval],
  );
  expect(result.rowCount, 'setting clock_offset exists').toBe(1);
}

/** More than otp_resend_cooldown (30 s): a flow may have its next code after this. */
export const PAST_RESEND_COOLDOWN = '31 seconds';

/** The database clock, as the routines see it. */
export async function dbNow(db: Queryable): Promise<Date> {
  return (await db.query<{ now: Date }>('SELECT ecliptix_internal.now() AS now')).rows[0]!.now;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** Milliseconds from a to b. */
export function msBetween(a: Date, b: Date): number {
  return b.getTime() - a.getTime();
}

// ---------------------------------------------------------------------------
// Reading tables
// ---------------------------------------------------------------------------

export async function rowsOf(db: Queryable, table: TableName, where = 'true', params: unknown[] = []): Promise<Row[]> {
  return (await db.query<Row>(`SELECT * FROM ecliptix.${table} WHERE ${where} ORDER BY 1`, params)).rows;
}

export async function countOf(db: Queryable, table: TableName, where = 'true', params: unknown[] = []): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ecliptix.${table} WHERE ${where}`, params)).rows[0]!.n;
}

/** Row counts of all 10 tables. */
export async function countAllTables(db: Queryable): Promise<Record<TableName, number>> {
  const sql = TABLES.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ecliptix.${t}`).join(' UNION ALL ');
  const rows = (await db.query<{ t: TableName; n: number }>(sql)).rows;
  return Object.fromEntries(rows.map((r) => [r.t, r.n])) as Record<TableName, number>;
}

/** Row count and a digest of every row's text of all 10 tables: catches updates as well as inserts. */
export async function snapshotAllTables(db: Queryable): Promise<Record<TableName, string>> {
  const sql = TABLES.map(
    (t) => `SELECT '${t}' AS t, count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS s FROM ecliptix.${t} x`,
  ).join(' UNION ALL ');
  const rows = (await db.query<{ t: TableName; s: string }>(sql)).rows;
  return Object.fromEntries(rows.map((r) => [r.t, r.s])) as Record<TableName, string>;
}

export async function flowRow(db: Queryable, flowUid: string): Promise<Row> {
  const rows = await rowsOf(db, 'verification_flows', 'unique_id = $1', [flowUid]);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

export async function otpRow(db: Queryable, otpUid: string): Promise<Row> {
  const rows = await rowsOf(db, 'otp_records', 'unique_id = $1', [otpUid]);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

export async function membershipRow(db: Queryable, membershipUid: string): Promise<Row> {
  const rows = await rowsOf(db, 'memberships', 'unique_id = $1', [membershipUid]);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

// ---------------------------------------------------------------------------
// The journey
// ---------------------------------------------------------------------------

let phoneSeq = 0;
/** A fresh E.164 number, different on every call. */
export function newPhone(): string {
  phoneSeq += 1;
  return `+1555${String(1_000_000 + phoneSeq).slice(-7)}`;
}

export interface RegisterResult {
  outcome: string;
  app_device_id: string;
  status: number;
}

export interface Device {
  deviceUid: string;
  deviceId: string;
  appInstanceId: string;
}

export async function registerDevice(
  db: Queryable,
  options: { deviceId?: string; appInstanceId?: string; deviceType?: number } = {},
): Promise<Device> {
  const deviceId = options.deviceId ?? randomUUID();
  const appInstanceId = options.appInstanceId ?? randomUUID();
  const row = await call<RegisterResult>(db, 'register_app_device_if_not_exists', appInstanceId, deviceId, options.deviceType ?? 1);
  return { deviceUid: row.app_device_id, deviceId, appInstanceId };
}

export interface EnsurePhoneResult {
  outcome: string;
  phone_unique_id: string;
  success: boolean;
}

export function ensurePhone(
  db: Queryable,
  phone: string,
  region: string | null = null,
  deviceUid: string | null = null,
): Promise<EnsurePhoneResult> {
  return call<EnsurePhoneResult>(db, 'ensure_phone_number', phone, region, deviceUid);
}

export interface FlowState {
  flow_unique_id: string | null;
  phone_unique_id: string | null;
  app_device_id: string | null;
  connection_id: number | null;
  expires_at: Date | null;
  status: string | null;
  purpose: string | null;
  otp_count: number | null;
  otp_unique_id: string | null;
  otp_hash: string | null;
  otp_salt: string | null;
  otp_expires_at: Date | null;
  otp_status: string | null;
  otp_is_active: boolean | null;
}

export interface InitiateResult extends FlowState {
  outcome: string;
  /** Set with rate_limit_exceeded: seconds until the oldest flow leaves the window. */
  retry_after_seconds: number | null;
}

export function initiateFlow(
  db: Queryable,
  deviceUid: string,
  phoneUid: string,
  purpose: string = 'registration',
  connectionId: number | null = null,
): Promise<InitiateResult> {
  return call<InitiateResult>(db, 'initiate_verification_flow', deviceUid, phoneUid, purpose, connectionId);
}

export interface InsertOtpResult {
  outcome: string;
  otp_unique_id: string | null;
  /** Set with resend_cooldown_active: seconds until the flow may have its next code. */
  retry_after_seconds: number | null;
}

let otpSeq = 0;
/** Inserts an OTP for the flow (hash/salt made up), expiring `lifetimeMs` after the database clock. */
export async function insertOtp(
  db: Queryable,
  flowUid: string,
  options: { lifetimeMs?: number; hash?: string; salt?: string; status?: string } = {},
): Promise<InsertOtpResult> {
  otpSeq += 1;
  const expiresAt = new Date((await dbNow(db)).getTime() + (options.lifetimeMs ?? 5 * MINUTE));
  return call<InsertOtpResult>(
    db,
    'insert_otp_record',
    flowUid,
    options.hash ?? `hash-${otpSeq}`,
    options.salt ?? `salt-${otpSeq}`,
    expiresAt,
    options.status ?? 'pending',
  );
}

export interface OtpStatusResult {
  outcome: string;
  success: boolean;
  message: string;
  /** Set with too_many_failed_checks: seconds until a check of the number is allowed. */
  retry_after_seconds: number | null;
}

export function updateOtpStatus(db: Queryable, otpUid: string, status: string): Promise<OtpStatusResult> {
  return call<OtpStatusResult>(db, 'update_otp_status', otpUid, status);
}

/** A device, a phone linked to it, and a pending flow with one OTP. */
export interface PendingJourney {
  phone: string;
  deviceUid: string;
  phoneUid: string;
  flowUid: string;
  otpUid: string;
  connectionId: number | null;
}

export async function pendingFlow(
  db: Queryable,
  options: { phone?: string; purpose?: Purpose; connectionId?: number | null; deviceUid?: string } = {},
): Promise<PendingJourney> {
  const phone = options.phone ?? newPhone();
  const deviceUid = options.deviceUid ?? (await registerDevice(db)).deviceUid;
  const phoneUid = (await ensurePhone(db, phone, null, deviceUid)).phone_unique_id;
  const connectionId = options.connectionId === undefined ? 42 : options.connectionId;
  const flow = await initiateFlow(db, deviceUid, phoneUid, options.purpose ?? 'registration', connectionId);
  expect(['created', 'retrieved']).toContain(flow.outcome);
  const otp = await insertOtp(db, flow.flow_unique_id!);
  expect(otp.outcome).toBe('created');
  return { phone, deviceUid, phoneUid, flowUid: flow.flow_unique_id!, otpUid: otp.otp_unique_id!, connectionId };
}

/** Like pendingFlow, then the OTP is verified (so the flow is verified for 24 h). */
export async function verifiedFlow(
  db: Queryable,
  options: { phone?: string; purpose?: Purpose; connectionId?: number | null; deviceUid?: string } = {},
): Promise<PendingJourney> {
  const journey = await pendingFlow(db, options);
  const verified = await updateOtpStatus(db, journey.otpUid, 'verified');
  expect(verified.outcome).toBe('updated');
  return journey;
}

export interface CreateMembershipResult {
  outcome: string;
  membership_unique_id: string | null;
  status: string | null;
  creation_status: string | null;
  retry_after_seconds: number | null;
}

export function createMembership(
  db: Queryable,
  flowUid: string,
  connectionId: number | null,
  otpUid: string,
  creationStatus = 'otp_verified',
): Promise<CreateMembershipResult> {
  return call<CreateMembershipResult>(db, 'create_membership', flowUid, connectionId, otpUid, creationStatus);
}

export interface MemberJourney extends PendingJourney {
  membershipUid: string;
  secureKey: Buffer | null;
}

/** A verified registration flow turned into an active membership, with a secure key unless `secureKey: null`. */
export async function member(
  db: Queryable,
  options: { phone?: string; deviceUid?: string; secureKey?: Buffer | null } = {},
): Promise<MemberJourney> {
  const journey = await verifiedFlow(db, { phone: options.phone, deviceUid: options.deviceUid });
  const created = await createMembership(db, journey.flowUid, journey.connectionId, journey.otpUid);
  expect(created.outcome).toBe('created');
  const membershipUid = created.membership_unique_id!;
  const secureKey = options.secureKey === undefined ? Buffer.from([1, 2, 3, 4, 5]) : options.secureKey;
  if (secureKey) {
    // The proof of the phone: the verified registration flow that created the membership.
    const updated = await call(db, 'update_membership_secure_key', membershipUid, secureKey, journey.flowUid);
    expect(updated.outcome).toBe('updated');
  }
  return { ...journey, membershipUid, secureKey };
}

export interface LoginResult {
  outcome: string;
  membership_unique_id: string | null;
  status: string | null;
  secure_key: Uint8Array | null;
  retry_after_seconds: number | null;
}

export function login(db: Queryable, phone: string | null): Promise<LoginResult> {
  return call<LoginResult>(db, 'login_membership', phone);
}

/** bytea from either driver (Buffer from pg, Uint8Array from PGlite) as a Buffer. */
export function bytes(value: Uint8Array | null | undefined): Buffer | null {
  return value == null ? null : Buffer.from(value);
}
