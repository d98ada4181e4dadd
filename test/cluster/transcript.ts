/**
 * Comparing what the routines answer through the proxy with what they answer
 * on one database: each result reduced to its shape — column (or field)
 * names, outcome and status values, counts — with what differs by nature
 * between two databases (identifiers, timestamps, row ids, seconds left, the
 * client's random one-time codes)
 * replaced by a placeholder. No outcome string is written here, so the
 * comparison holds while outcomes are renamed.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/db/database.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Numbers that differ between two databases or two runs: row ids, seconds or milliseconds left. */
const VOLATILE_NUMBER = /(^id$|_id$|Id$|retry|After)/;

export function shapeOf(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return UUID.test(value) ? '<uuid>' : key === 'code' && /^\d{6}$/.test(value) ? '<code>' : value;
  if (typeof value === 'number') return VOLATILE_NUMBER.test(key) ? '<number>' : value;
  if (value instanceof Date) return '<time>';
  if (value instanceof Uint8Array) return `<bytes ${value.length}>`;
  if (Array.isArray(value)) return value.map((item) => shapeOf(item, key));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v, k)]));
  return value;
}

/** A log of results by shape, step by step: `record` adds one and hands the result back. */
export function shapeLog(): { log: unknown[]; record: <T>(step: string, result: T) => T } {
  const log: unknown[] = [];
  return {
    log,
    record: (step, result) => {
      log.push({ step, result: shapeOf(result) });
      return result;
    },
  };
}

/** The first uuid found under a key matching `name` (searched depth-first), e.g. idIn(row, /flow/). */
export function idIn(value: unknown, name: RegExp): string {
  const found = findId(value, name);
  if (!found) throw new Error(`no identifier matching ${name} in ${JSON.stringify(value)}`);
  return found;
}

function findId(value: unknown, name: RegExp): string | undefined {
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' && UUID.test(item) && name.test(key)) return item;
  }
  for (const item of Object.values(value)) {
    const found = findId(item, name);
    if (found) return found;
  }
  return undefined;
}

export type Row = Record<string, unknown>;

/** Calls routines and records each call's result rows (their shape). */
export class Transcript {
  readonly entries: { call: string; rows: unknown }[] = [];
  constructor(private readonly db: Queryable) {}

  /** `SELECT * FROM ecliptix.<routine>($1 …)`: its rows, recorded. */
  async rows(routine: string, ...args: unknown[]): Promise<Row[]> {
    const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
    let rows: Row[];
    try {
      ({ rows } = await this.db.query<Row>(`SELECT * FROM ecliptix.${routine}(${placeholders})`, args));
    } catch (error) {
      // A refusal is part of the answer: its SQLSTATE is compared, its text (which names the partition) is not.
      this.entries.push({ call: routine, rows: { error: (error as { code?: string }).code ?? 'no SQLSTATE' } });
      throw error;
    }
    this.entries.push({ call: routine, rows: rows.map((row) => ({ columns: Object.keys(row), values: shapeOf(row) })) });
    return rows;
  }

  /** A routine that answers one row. */
  async one(routine: string, ...args: unknown[]): Promise<Row> {
    const rows = await this.rows(routine, ...args);
    if (rows.length !== 1) throw new Error(`ecliptix.${routine} returned ${rows.length} rows`);
    return rows[0]!;
  }

  /** Records a value the test computed (e.g. whether a released key is the one stored). */
  note(call: string, value: unknown): void {
    this.entries.push({ call, rows: shapeOf(value) });
  }
}

/** The phone numbers of the differential run: fixed, so both databases see the same ones. */
export const DIFFERENTIAL_PHONES = Array.from({ length: 8 }, (_, i) => `+1202555${String(1200 + i * 7).padStart(4, '0')}`);
/** Numbers nobody registers (failed sign-ins, lockout). */
export const UNKNOWN_PHONES = ['+12025559901', '+12025559902'];

/**
 * Every routine, in the usual journey and its refusals, for each phone:
 * devices (new, again), phone (with and without a device, unknown device),
 * lookups, a registration flow (again: the same one), the flow's state, OTPs
 * (one, one too soon, resend), verification, membership, secure key, sign-in
 * (release, confirmation, recovery check), a second device's login flow with a
 * failed code, expired OTPs and a failed flow, a membership attempt; and on
 * unknown numbers failed sign-ins until locked.
 */
export async function differentialJourney(t: Transcript): Promise<void> {
  for (const phone of DIFFERENTIAL_PHONES) {
    const deviceId = randomUUID();
    const appInstanceId = randomUUID();
    const device = idIn(await t.one('register_app_device_if_not_exists', appInstanceId, deviceId, 1), /device/);
    await t.one('register_app_device_if_not_exists', appInstanceId, deviceId, 1);
    const phoneId = idIn(await t.one('ensure_phone_number', phone, 'US', device), /phone/);
    await t.one('ensure_phone_number', phone, null, null);
    await t.one('ensure_phone_number', phone, null, randomUUID());
    await t.rows('get_phone_number', phoneId);
    await t.rows('get_phone_number_details', phoneId);
    await t.rows('get_phone_number', randomUUID());

    const flowRow = await t.one('initiate_verification_flow', device, phoneId, 'registration', 42);
    const flow = idIn(flowRow, /^flow/);
    await t.one('initiate_verification_flow', device, phoneId, 'registration', 42);
    await t.one('initiate_verification_flow', randomUUID(), phoneId, 'registration', 42);
    await t.rows('get_full_flow_state', flow);
    const expires = new Date(Date.now() + 5 * 60_000);
    const otp = idIn(await t.one('insert_otp_record', flow, 'aGFzaA==', 'c2FsdA==', expires, 'pending'), /otp/);
    await t.one('insert_otp_record', flow, 'aGFzaA==', 'c2FsdA==', expires, 'pending');
    await t.one('request_resend_otp', flow);
    await t.one('update_otp_status', otp, 'verified');
    await t.one('update_otp_status', otp, 'failed');
    const membership = idIn(await t.one('create_membership', flow, 42, otp, 'otp_verified'), /membership/);
    await t.one('create_membership', flow, 42, otp, 'otp_verified');
    const key = Buffer.from(`secure key of ${phone}`);
    await t.one('update_membership_secure_key', membership, key, flow);
    await t.one('update_membership_secure_key', membership, key, flow);
    await t.one('log_login_attempt', phone, 'signed_in', true);
    const login = await t.one('login_membership', phone);
    t.note('released key is the stored key', Buffer.from(login.secure_key as Uint8Array).equals(key));
    await t.one('log_login_attempt', phone, 'signed_in', true);
    await t.one('verify_phone_for_secret_key_recovery', phone, null);

    // A second device: its login flow (the device's row copied to the phone's partition), a wrong code, expiry.
    const second = idIn(await t.one('register_app_device_if_not_exists', randomUUID(), randomUUID(), 2), /device/);
    await t.one('ensure_phone_number', phone, null, second);
    const loginFlow = idIn(await t.one('initiate_verification_flow', second, phoneId, 'login', null), /^flow/);
    const loginOtp = idIn(await t.one('insert_otp_record', loginFlow, 'aGFzaA==', 'c2FsdA==', expires, 'pending'), /otp/);
    await t.one('update_otp_status', loginOtp, 'failed');
    await t.one('expire_associated_otp', loginFlow);
    await t.one('update_verification_flow_status', loginFlow, 'failed');
    await t.rows('get_full_flow_state', loginFlow);
    await t.one('log_membership_attempt', phoneId, 'differential', false);
  }
  for (const phone of UNKNOWN_PHONES) {
    for (let i = 0; i < 7; i++) await t.one('login_membership', phone);
    await t.one('log_login_attempt', phone, 'invalid_passphrase', false);
    await t.one('verify_phone_for_secret_key_recovery', phone, null);
  }
}
