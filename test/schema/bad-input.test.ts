/**
 * Bad input to each of the 17 routines: NULL where a value is required,
 * strings over their column length, unknown purposes and statuses, malformed
 * phone numbers and regions. Each must give a clear PostgreSQL error (SQLSTATE
 * 22004 / 22001 / 22023, the message naming the parameter) — never an
 * outcome, which is for states of the data (migrations/README.md, "Naming
 * convention") — and write nothing: all 10 tables are compared before and
 * after every call.
 *
 * Nothing here may change the database, so one database per engine serves the
 * whole suite (a write would show up in the very test that made it).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import {
  HOUR,
  call,
  callRows,
  countAllTables,
  countOf,
  dbNow,
  expectPgError,
  member,
  pendingFlow,
  snapshotAllTables,
  type MemberJourney,
  type PendingJourney,
} from './journey.js';

interface BadCall {
  /** What is wrong, for the failure message. */
  what: string;
  args: unknown[];
  code: string;
  message: RegExp;
}

const notNull = (param: string): RegExp => new RegExp(`^${param} must not be null$`);
const tooLong = (param: string): RegExp => new RegExp(`^${param} is too long: \\d+ characters, at most \\d+ allowed$`);
const notE164 = (param: string): RegExp => new RegExp(`^${param} is not an E\\.164 phone number`);
const notBlank = (param: string): RegExp => new RegExp(`^${param} must not be blank$`);
const unknownValue = (param: string, value: string): RegExp => new RegExp(`^${param} has unknown value "${value}"; expected one of: `);

/** Phone numbers that are not E.164-like but fit in 18 characters. */
const MALFORMED_PHONES = [
  '5551234567',
  '+0123456789',
  '+1 555 123 4567',
  '+1-555-1234567',
  '+123456',
  '+1234567890123456',
  'phone',
  '',
  ' +15551234567',
];
/** 19 characters: over the varchar(18) of phone_numbers.phone_number and login_attempts.phone_number. */
const LONG_PHONE = '+123456789012345678';

function phoneCases(argsFor: (phone: string | null) => unknown[]): BadCall[] {
  return [
    { what: 'NULL phone', args: argsFor(null), code: '22004', message: notNull('p_phone_number') },
    { what: 'phone over 18 characters', args: argsFor(LONG_PHONE), code: '22001', message: tooLong('p_phone_number') },
    { what: 'phone of 40 digits', args: argsFor(`+${'1'.repeat(40)}`), code: '22001', message: tooLong('p_phone_number') },
    ...MALFORMED_PHONES.map((phone) => ({
      what: `malformed phone "${phone}"`,
      args: argsFor(phone),
      code: '22023',
      message: notE164('p_phone_number'),
    })),
  ];
}

/** A region is NULL, an ISO 3166-1 alpha-2 code (upper case) or '001' (non-geographic); at most 3 characters. */
const notRegion = /^p_region must be an ISO 3166-1 alpha-2 region code \(upper case\) or 001 for a non-geographic number, or null: "/;

function regionCases(argsFor: (region: string) => unknown[]): BadCall[] {
  return [
    { what: 'region of 4 letters', args: argsFor('USAA'), code: '22001', message: tooLong('p_region') },
    { what: 'region of 40 letters', args: argsFor('U'.repeat(40)), code: '22001', message: tooLong('p_region') },
    // 3 characters fit the column but are no region (alpha-3 is not accepted).
    { what: 'region of 3 letters', args: argsFor('USA'), code: '22023', message: notRegion },
    { what: 'lower-case region', args: argsFor('us'), code: '22023', message: notRegion },
    { what: 'empty region', args: argsFor(''), code: '22023', message: notRegion },
    { what: 'region with digits', args: argsFor('U1'), code: '22023', message: notRegion },
    { what: 'unassigned region ZZ', args: argsFor('ZZ'), code: '22023', message: notRegion },
    { what: 'unassigned region AA', args: argsFor('AA'), code: '22023', message: notRegion },
    { what: 'numeric region other than 001', args: argsFor('002'), code: '22023', message: notRegion },
    { what: 'region 01', args: argsFor('01'), code: '22023', message: notRegion },
  ];
}

describe.each(engines)('bad input on %s', (engine) => {
  let target: TestDatabase;
  let db: Database;
  /** A member (device, phone, verified flow, OTP, membership with key) and a second, pending flow. */
  let m: MemberJourney;
  let pending: PendingJourney;
  let future: Date;

  beforeAll(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
    db = await target.open();
    m = await member(db);
    pending = await pendingFlow(db);
    await call(db, 'update_otp_status', pending.otpUid, 'failed');
    await db.query(`INSERT INTO ecliptix.event_log (event_type, message) VALUES ('test', 'bad-input fixture')`);
    await call(db, 'log_login_attempt', m.phone, 'wrong_passphrase', false);
    await call(db, 'login_membership', m.phone);
    future = new Date((await dbNow(db)).getTime() + HOUR);
    // Every table has rows to protect.
    const counts = await countAllTables(db);
    for (const [table, n] of Object.entries(counts)) expect(n, table).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await db?.close();
    await target?.drop();
  });

  /** Each call must fail as described, and leave all 10 tables exactly as they were. */
  async function expectRefused(routine: string, cases: BadCall[]): Promise<void> {
    const counts = await countAllTables(db);
    const snapshot = await snapshotAllTables(db);
    for (const bad of cases) {
      await expectPgError(callRows(db, routine, ...bad.args), bad.code, bad.message).catch((error: Error) => {
        throw new Error(`${routine} with ${bad.what}: ${error.message}`);
      });
    }
    expect(await countAllTables(db)).toEqual(counts);
    expect(await snapshotAllTables(db)).toEqual(snapshot);
  }

  it('register_app_device_if_not_exists', async () => {
    await expectRefused('register_app_device_if_not_exists', [
      { what: 'NULL app instance', args: [null, randomUUID(), 1], code: '22004', message: notNull('p_app_instance_id') },
      { what: 'NULL device id', args: [randomUUID(), null, 1], code: '22004', message: notNull('p_device_id') },
      { what: 'NULL device type', args: [randomUUID(), randomUUID(), null], code: '22004', message: notNull('p_device_type') },
      {
        what: 'a device id that is no uuid',
        args: [randomUUID(), 'device-1', 1],
        code: '22P02',
        message: /invalid input syntax for type uuid/,
      },
    ]);
  });

  it('ensure_phone_number', async () => {
    await expectRefused('ensure_phone_number', [
      ...phoneCases((phone) => [phone, null, null]),
      // With a valid device as well: nothing is linked.
      ...phoneCases((phone) => [phone, 'US', m.deviceUid]),
      ...regionCases((region) => ['+15550001111', region, null]),
      ...regionCases((region) => ['+15550001111', region, m.deviceUid]),
    ]);
  });

  it('verify_phone_for_secret_key_recovery', async () => {
    await expectRefused('verify_phone_for_secret_key_recovery', [
      ...phoneCases((phone) => [phone, null]),
      ...regionCases((region) => [m.phone, region]),
    ]);
  });

  it('initiate_verification_flow', async () => {
    await expectRefused('initiate_verification_flow', [
      { what: 'NULL device', args: [null, m.phoneUid, 'login', null], code: '22004', message: notNull('p_app_device_id') },
      { what: 'NULL phone', args: [m.deviceUid, null, 'login', null], code: '22004', message: notNull('p_phone_unique_id') },
      { what: 'NULL purpose', args: [m.deviceUid, m.phoneUid, null, null], code: '22004', message: notNull('p_purpose') },
      {
        what: 'unknown purpose',
        args: [m.deviceUid, m.phoneUid, 'signup', null],
        code: '22023',
        message: unknownValue('p_purpose', 'signup'),
      },
      {
        what: 'purpose in another case',
        args: [m.deviceUid, m.phoneUid, 'Registration', null],
        code: '22023',
        message: unknownValue('p_purpose', 'Registration'),
      },
      { what: 'empty purpose', args: [m.deviceUid, m.phoneUid, '', null], code: '22023', message: unknownValue('p_purpose', '') },
      {
        what: 'over-long purpose',
        args: [m.deviceUid, m.phoneUid, 'x'.repeat(300), null],
        code: '22023',
        message: /^p_purpose has unknown value/,
      },
    ]);
  });

  it('request_resend_otp', async () => {
    await expectRefused('request_resend_otp', [{ what: 'NULL flow', args: [null], code: '22004', message: notNull('p_flow_unique_id') }]);
  });

  it('insert_otp_record', async () => {
    const f = pending.flowUid;
    await expectRefused('insert_otp_record', [
      { what: 'NULL flow', args: [null, 'h', 's', future, 'pending'], code: '22004', message: notNull('p_flow_unique_id') },
      { what: 'NULL hash', args: [f, null, 's', future, 'pending'], code: '22004', message: notNull('p_otp_hash') },
      { what: 'NULL salt', args: [f, 'h', null, future, 'pending'], code: '22004', message: notNull('p_otp_salt') },
      { what: 'NULL expiry', args: [f, 'h', 's', null, 'pending'], code: '22004', message: notNull('p_expires_at') },
      { what: 'NULL status', args: [f, 'h', 's', future, null], code: '22004', message: notNull('p_status') },
      { what: 'unknown status', args: [f, 'h', 's', future, 'sent'], code: '22023', message: unknownValue('p_status', 'sent') },
      { what: 'empty hash', args: [f, '', 's', future, 'pending'], code: '22023', message: /^p_otp_hash must not be empty$/ },
      { what: 'empty salt', args: [f, 'h', '', future, 'pending'], code: '22023', message: /^p_otp_salt must not be empty$/ },
      { what: 'blank hash', args: [f, '  ', 's', future, 'pending'], code: '22023', message: /^p_otp_hash must not be empty$/ },
      { what: 'blank salt', args: [f, 'h', ' ', future, 'pending'], code: '22023', message: /^p_otp_salt must not be empty$/ },
      { what: 'hash of 1 MB', args: [f, 'h'.repeat(1 << 20), 's', future, 'pending'], code: '22001', message: tooLong('p_otp_hash') },
      { what: 'hash of 513 characters', args: [f, 'h'.repeat(513), 's', future, 'pending'], code: '22001', message: tooLong('p_otp_hash') },
      { what: 'salt of 256 characters', args: [f, 'h', 's'.repeat(256), future, 'pending'], code: '22001', message: tooLong('p_otp_salt') },
      {
        what: 'expiry infinity',
        args: [f, 'h', 's', 'infinity', 'pending'],
        code: '22023',
        message: /^p_expires_at must be a finite time/,
      },
      {
        what: 'expiry -infinity',
        args: [f, 'h', 's', '-infinity', 'pending'],
        code: '22023',
        message: /^p_expires_at must be a finite time/,
      },
      {
        what: 'expiry next year',
        args: [f, 'h', 's', new Date(Date.now() + 366 * 24 * 3600 * 1000), 'pending'],
        code: '22023',
        message: /^p_expires_at must be a finite time/,
      },
    ]);
  });

  it('update_otp_status', async () => {
    const otp = (await callRows<{ otp_unique_id: string }>(db, 'get_full_flow_state', pending.flowUid))[0]!.otp_unique_id;
    await expectRefused('update_otp_status', [
      { what: 'NULL OTP', args: [null, 'verified'], code: '22004', message: notNull('p_otp_unique_id') },
      { what: 'NULL status', args: [otp, null], code: '22004', message: notNull('p_new_status') },
      { what: 'unknown status', args: [otp, 'approved'], code: '22023', message: unknownValue('p_new_status', 'approved') },
      { what: 'upper-case status', args: [otp, 'VERIFIED'], code: '22023', message: unknownValue('p_new_status', 'VERIFIED') },
    ]);
  });

  it('update_verification_flow_status', async () => {
    await expectRefused('update_verification_flow_status', [
      { what: 'NULL flow', args: [null, 'failed'], code: '22004', message: notNull('p_flow_unique_id') },
      { what: 'NULL status', args: [pending.flowUid, null], code: '22004', message: notNull('p_new_status') },
      { what: 'unknown status', args: [pending.flowUid, 'cancelled'], code: '22023', message: unknownValue('p_new_status', 'cancelled') },
    ]);
  });

  it('expire_associated_otp', async () => {
    await expectRefused('expire_associated_otp', [
      { what: 'NULL flow', args: [null], code: '22004', message: notNull('p_flow_unique_id') },
    ]);
  });

  it('log_login_attempt', async () => {
    await expectRefused('log_login_attempt', [
      ...phoneCases((phone) => [phone, 'wrong_passphrase', false]),
      { what: 'NULL outcome', args: [m.phone, null, false], code: '22004', message: notNull('p_outcome') },
      { what: 'NULL is_success', args: [m.phone, 'x', null], code: '22004', message: notNull('p_is_success') },
      { what: 'outcome over 255 characters', args: [m.phone, 'x'.repeat(256), false], code: '22001', message: tooLong('p_outcome') },
      { what: 'empty outcome', args: [m.phone, '', false], code: '22023', message: notBlank('p_outcome') },
      { what: 'blank outcome', args: [m.phone, '  ', true], code: '22023', message: notBlank('p_outcome') },
      // Reserved for login_membership's own key releases: a made-up release could be confirmed.
      {
        what: 'outcome key_released (failure)',
        args: [m.phone, 'key_released', false],
        code: '22023',
        message: /^p_outcome "key_released" is reserved/,
      },
      {
        what: 'outcome key_released (success)',
        args: [m.phone, 'key_released', true],
        code: '22023',
        message: /^p_outcome "key_released" is reserved/,
      },
    ]);
    // 255 characters fit, and are stored whole (a confirmed sign-in: the fixture's login released the key).
    const before = await countOf(db, 'login_attempts');
    const logged = await call(db, 'log_login_attempt', m.phone, 'y'.repeat(255), true);
    expect(logged.outcome).toBe('logged');
    expect(
      (await db.query<{ n: number }>('SELECT length(outcome) AS n FROM ecliptix.login_attempts WHERE id = $1', [logged.login_attempt_id]))
        .rows[0]!.n,
    ).toBe(255);
    expect(await countOf(db, 'login_attempts')).toBe(before + 1);
  });

  it('log_membership_attempt', async () => {
    await expectRefused('log_membership_attempt', [
      { what: 'NULL phone', args: [null, 'x', false], code: '22004', message: notNull('p_phone_unique_id') },
      { what: 'NULL outcome', args: [m.phoneUid, null, false], code: '22004', message: notNull('p_outcome') },
      { what: 'NULL is_success', args: [m.phoneUid, 'x', null], code: '22004', message: notNull('p_is_success') },
      { what: 'outcome over 255 characters', args: [m.phoneUid, 'x'.repeat(256), true], code: '22001', message: tooLong('p_outcome') },
      { what: 'empty outcome', args: [m.phoneUid, '', true], code: '22023', message: notBlank('p_outcome') },
      { what: 'blank outcome', args: [m.phoneUid, ' ', false], code: '22023', message: notBlank('p_outcome') },
    ]);
  });

  it('create_membership', async () => {
    await expectRefused('create_membership', [
      { what: 'NULL flow', args: [null, 42, m.otpUid, 'otp_verified'], code: '22004', message: notNull('p_flow_unique_id') },
      { what: 'NULL OTP', args: [m.flowUid, 42, null, 'otp_verified'], code: '22004', message: notNull('p_otp_unique_id') },
      { what: 'NULL creation status', args: [m.flowUid, 42, m.otpUid, null], code: '22004', message: notNull('p_creation_status') },
      {
        what: 'unknown creation status',
        args: [m.flowUid, 42, m.otpUid, 'done'],
        code: '22023',
        message: unknownValue('p_creation_status', 'done'),
      },
      // Arguments are checked before the flow is looked at, even for an unknown flow.
      {
        what: 'unknown creation status, unknown flow',
        args: [randomUUID(), 42, m.otpUid, 'active'],
        code: '22023',
        message: unknownValue('p_creation_status', 'active'),
      },
    ]);
  });

  it('update_membership_secure_key', async () => {
    await expectRefused('update_membership_secure_key', [
      { what: 'NULL membership', args: [null, Buffer.from([1]), m.flowUid], code: '22004', message: notNull('p_membership_unique_id') },
      {
        what: 'NULL flow (the proof)',
        args: [m.membershipUid, Buffer.from([1]), null],
        code: '22004',
        message: notNull('p_flow_unique_id'),
      },
      // The arguments are checked in their order.
      { what: 'NULL key', args: [m.membershipUid, null, m.flowUid], code: '22004', message: notNull('p_secure_key') },
      { what: 'NULL flow and NULL key', args: [m.membershipUid, null, null], code: '22004', message: notNull('p_secure_key') },
      {
        what: 'empty key',
        args: [m.membershipUid, Buffer.alloc(0), m.flowUid],
        code: '22023',
        message: /^p_secure_key must not be empty$/,
      },
      // Before the membership is looked at, even for an unknown one.
      {
        what: 'empty key, unknown membership',
        args: [randomUUID(), Buffer.alloc(0), m.flowUid],
        code: '22023',
        message: /^p_secure_key must not be empty$/,
      },
      {
        what: 'a flow that is no uuid',
        args: [m.membershipUid, Buffer.from([1]), 'flow-1'],
        code: '22P02',
        message: /invalid input syntax for type uuid/,
      },
    ]);
  });

  it('login_membership', async () => {
    // NULL, '' and blanks are bad input like any other (they were an outcome, phone_number_cannot_be_empty), and are not recorded.
    await expectRefused('login_membership', [
      ...phoneCases((phone) => [phone]),
      { what: 'blank phone', args: ['  '], code: '22023', message: notE164('p_phone_number') },
    ]);
  });

  it.each(['get_phone_number', 'get_phone_number_details', 'get_full_flow_state'])('%s', async (fn) => {
    const snapshot = await snapshotAllTables(db);
    expect(await callRows(db, fn, null)).toEqual([]);
    expect(await callRows(db, fn, randomUUID())).toEqual([]);
    await expectPgError(callRows(db, fn, 'not-a-uuid'), '22P02', /invalid input syntax for type uuid/);
    expect(await snapshotAllTables(db)).toEqual(snapshot);
  });
});
