/**
 * Memberships and login: create_membership, update_membership_secure_key,
 * log_login_attempt, log_membership_attempt and login_membership — every
 * outcome, the returned row and the resulting table contents (memberships,
 * membership_attempts, login_attempts), on PGlite and on a real PostgreSQL
 * server. Time is moved with the clock_offset setting, never by sleeping.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import {
  MINUTE,
  bytes,
  call,
  countOf,
  createMembership,
  dbNow,
  ensurePhone,
  flowRow,
  login,
  member,
  membershipRow,
  msBetween,
  newPhone,
  otpRow,
  pendingFlow,
  rowsOf,
  setClock,
  snapshotAllTables,
  verifiedFlow,
  type LoginResult,
} from './journey.js';

describe.each(engines)('memberships and login on %s', (engine) => {
  let target: TestDatabase;
  let db: Database;

  beforeEach(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
    db = await target.open();
  });
  afterEach(async () => {
    await db.close();
    await target.drop();
  });

  const attemptsOf = async (phoneUid: string) =>
    (
      await db.query<{ outcome: string; is_success: boolean }>(
        'SELECT outcome, is_success FROM ecliptix.membership_attempts WHERE phone_number_id = $1 ORDER BY id',
        [phoneUid],
      )
    ).rows;

  describe('create_membership', () => {
    it('created: an active membership of the flow, the OTP deactivated, the attempt logged; then membership_already_exists', async () => {
      // Verified by the administrative setter, so that the OTP is still active.
      const journey = await pendingFlow(db, { connectionId: 7 });
      await call(db, 'update_verification_flow_status', journey.flowUid, 'verified');
      expect((await otpRow(db, journey.otpUid)).is_active).toBe(true);

      const created = await createMembership(db, journey.flowUid, 7, journey.otpUid);
      expect(created).toEqual({
        outcome: 'created',
        membership_unique_id: expect.any(String),
        status: 'active',
        creation_status: 'otp_verified',
        retry_after_minutes: null,
      });
      expect(await membershipRow(db, created.membership_unique_id!)).toMatchObject({
        phone_number_id: journey.phoneUid,
        app_device_id: journey.deviceUid,
        verification_flow_id: journey.flowUid,
        secure_key: null,
        status: 'active',
        creation_status: 'otp_verified',
        is_deleted: false,
      });
      expect((await otpRow(db, journey.otpUid)).is_active).toBe(false);
      expect(await attemptsOf(journey.phoneUid)).toEqual([{ outcome: 'created', is_success: true }]);

      // Again for the same phone and device: the existing membership is returned, and the refusal logged.
      const again = await createMembership(db, journey.flowUid, 7, journey.otpUid, 'passphrase_set');
      expect(again).toEqual({ ...created, outcome: 'membership_already_exists' });
      expect(await countOf(db, 'memberships')).toBe(1);
      expect(await attemptsOf(journey.phoneUid)).toEqual([
        { outcome: 'created', is_success: true },
        { outcome: 'membership_already_exists', is_success: false },
      ]);

      // A flow without connection matches a NULL connection id; the creation status is as given.
      const noConnection = await verifiedFlow(db, { connectionId: null });
      const other = await createMembership(db, noConnection.flowUid, null, noConnection.otpUid, 'passphrase_set');
      expect(other).toMatchObject({ outcome: 'created', status: 'active', creation_status: 'passphrase_set' });
      expect(await countOf(db, 'memberships')).toBe(2);
    });

    it('refuses a flow that is unknown, of another connection or purpose, not verified or expired, or an OTP of another flow', async () => {
      const refused = { membership_unique_id: null, status: null, creation_status: null, retry_after_minutes: null };
      const before = await snapshotAllTables(db);
      expect(await createMembership(db, randomUUID(), 42, randomUUID())).toEqual({ ...refused, outcome: 'flow_not_found' });
      expect(await snapshotAllTables(db)).toEqual(before);

      const wrongConnection = await verifiedFlow(db, { connectionId: 42 });
      expect(await createMembership(db, wrongConnection.flowUid, 43, wrongConnection.otpUid)).toEqual({ ...refused, outcome: 'connection_mismatch' });
      expect(await createMembership(db, wrongConnection.flowUid, null, wrongConnection.otpUid)).toEqual({ ...refused, outcome: 'connection_mismatch' });
      expect(await attemptsOf(wrongConnection.phoneUid)).toEqual([
        { outcome: 'connection_mismatch', is_success: false },
        { outcome: 'connection_mismatch', is_success: false },
      ]);

      const loginFlow = await verifiedFlow(db, { purpose: 'login' });
      expect(await createMembership(db, loginFlow.flowUid, 42, loginFlow.otpUid)).toEqual({ ...refused, outcome: 'invalid_flow_purpose' });
      expect(await attemptsOf(loginFlow.phoneUid)).toEqual([{ outcome: 'invalid_flow_purpose', is_success: false }]);

      const pending = await pendingFlow(db);
      expect(await createMembership(db, pending.flowUid, 42, pending.otpUid)).toEqual({ ...refused, outcome: 'flow_not_verified' });
      expect(await attemptsOf(pending.phoneUid)).toEqual([{ outcome: 'flow_not_verified', is_success: false }]);
      expect((await otpRow(db, pending.otpUid)).is_active).toBe(true);

      const otherOtp = await verifiedFlow(db);
      expect(await createMembership(db, otherOtp.flowUid, 42, pending.otpUid)).toEqual({ ...refused, outcome: 'otp_not_found' });
      expect(await createMembership(db, otherOtp.flowUid, 42, randomUUID())).toEqual({ ...refused, outcome: 'otp_not_found' });
      expect(await attemptsOf(otherOtp.phoneUid)).toEqual([
        { outcome: 'otp_not_found', is_success: false },
        { outcome: 'otp_not_found', is_success: false },
      ]);

      // A verified flow is valid for 24 hours.
      const late = await verifiedFlow(db);
      await setClock(db, '25 hours');
      expect(await createMembership(db, late.flowUid, 42, late.otpUid)).toEqual({ ...refused, outcome: 'flow_expired' });
      expect((await flowRow(db, late.flowUid)).status).toBe('expired');
      expect(await attemptsOf(late.phoneUid)).toEqual([{ outcome: 'flow_expired', is_success: false }]);

      expect(await countOf(db, 'memberships')).toBe(0);
    });

    it('refuses after 5 failed attempts per phone within the hour, with the minutes to wait, without logging', async () => {
      const journey = await verifiedFlow(db, { connectionId: 42 });
      // Three failures through create_membership, two logged by the application; a success does not count.
      for (let i = 0; i < 3; i += 1) expect((await createMembership(db, journey.flowUid, 1, journey.otpUid)).outcome).toBe('connection_mismatch');
      await call(db, 'log_membership_attempt', journey.phoneUid, 'passphrase_rejected', false);
      await call(db, 'log_membership_attempt', journey.phoneUid, 'signed_in', true);
      expect((await createMembership(db, journey.flowUid, 1, journey.otpUid)).outcome).toBe('connection_mismatch');
      expect(await countOf(db, 'membership_attempts', 'NOT is_success')).toBe(5);

      const before = await snapshotAllTables(db);
      const limited = await createMembership(db, journey.flowUid, 42, journey.otpUid);
      expect(limited).toEqual({
        outcome: 'rate_limit_exceeded',
        membership_unique_id: null,
        status: null,
        creation_status: null,
        retry_after_minutes: 60,
      });
      expect(await snapshotAllTables(db)).toEqual(before);

      await setClock(db, '30 minutes');
      expect(await createMembership(db, journey.flowUid, 42, journey.otpUid)).toMatchObject({ outcome: 'rate_limit_exceeded', retry_after_minutes: 30 });
      await setClock(db, '59 minutes 30 seconds');
      expect(await createMembership(db, journey.flowUid, 42, journey.otpUid)).toMatchObject({ outcome: 'rate_limit_exceeded', retry_after_minutes: 1 });

      // Another phone is not limited.
      const other = await verifiedFlow(db);
      expect((await createMembership(db, other.flowUid, 42, other.otpUid)).outcome).toBe('created');

      await setClock(db, '61 minutes');
      const created = await createMembership(db, journey.flowUid, 42, journey.otpUid);
      expect(created).toMatchObject({ outcome: 'created', status: 'active', retry_after_minutes: null });
      expect(await countOf(db, 'membership_attempts', 'phone_number_id = $1', [journey.phoneUid])).toBe(7);
    });
  });

  describe('update_membership_secure_key', () => {
    type KeyResult = { outcome: string; membership_unique_id: string | null; status: string | null; creation_status: string | null };
    const setKey = (uid: string, key: Buffer | null) => call<KeyResult>(db, 'update_membership_secure_key', uid, key);

    it('updated (key stored, active, secure_key_set, logged); secure_key_cannot_be_empty; membership_not_found; membership_blocked', async () => {
      const journey = await member(db, { secureKey: null });
      await db.query(`UPDATE ecliptix.memberships SET status = 'inactive' WHERE unique_id = $1`, [journey.membershipUid]);
      const key = Buffer.from('0011223344556677', 'hex');
      expect(await setKey(journey.membershipUid, key)).toEqual({
        outcome: 'updated',
        membership_unique_id: journey.membershipUid,
        status: 'active',
        creation_status: 'secure_key_set',
      });
      const row = await membershipRow(db, journey.membershipUid);
      expect(row).toMatchObject({ status: 'active', creation_status: 'secure_key_set' });
      expect(bytes(row.secure_key)).toEqual(key);
      expect(await attemptsOf(journey.phoneUid)).toEqual([
        { outcome: 'created', is_success: true },
        { outcome: 'secure_key_set', is_success: true },
      ]);

      // A new key replaces the old one.
      const newer = Buffer.from([9, 8, 7]);
      expect((await setKey(journey.membershipUid, newer)).outcome).toBe('updated');
      expect(bytes((await membershipRow(db, journey.membershipUid)).secure_key)).toEqual(newer);

      // secure_key_cannot_be_empty and membership_not_found write nothing; membership_blocked stays blocked and is logged.
      const other = await member(db, { secureKey: null });
      const before = await snapshotAllTables(db);
      const none = { membership_unique_id: null, status: null, creation_status: null };
      expect(await setKey(other.membershipUid, Buffer.alloc(0))).toEqual({ ...none, outcome: 'secure_key_cannot_be_empty' });
      expect(await setKey(other.membershipUid, null)).toEqual({ ...none, outcome: 'secure_key_cannot_be_empty' });
      expect(await setKey(randomUUID(), Buffer.from([1]))).toEqual({ ...none, outcome: 'membership_not_found' });
      expect(await snapshotAllTables(db)).toEqual(before);

      await db.query(`UPDATE ecliptix.memberships SET status = 'blocked' WHERE unique_id = $1`, [other.membershipUid]);
      expect(await setKey(other.membershipUid, Buffer.from([1, 2]))).toEqual({
        outcome: 'membership_blocked',
        membership_unique_id: other.membershipUid,
        status: 'blocked',
        creation_status: 'otp_verified',
      });
      expect(await membershipRow(db, other.membershipUid)).toMatchObject({ status: 'blocked', secure_key: null, creation_status: 'otp_verified' });
      expect((await attemptsOf(other.phoneUid)).at(-1)).toEqual({ outcome: 'membership_blocked', is_success: false });

      await db.query('UPDATE ecliptix.memberships SET is_deleted = true WHERE unique_id = $1', [other.membershipUid]);
      expect((await setKey(other.membershipUid, Buffer.from([1]))).outcome).toBe('membership_not_found');
    });
  });


  describe('log_login_attempt and log_membership_attempt', () => {
    it('append one row each', async () => {
      const phone = newPhone();
      const now = await dbNow(db);
      const logged = await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false);
      expect(logged).toEqual({ outcome: 'logged', id: expect.any(Number) });
      const success = await call(db, 'log_login_attempt', phone, 'passphrase_ok', true);
      expect(success.id).toBeGreaterThan(logged.id);
      const rows = await rowsOf(db, 'login_attempts');
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({
        id: logged.id,
        phone_number: phone,
        outcome: 'wrong_passphrase',
        is_success: false,
        locked_until: null,
        lockout_number: null,
      });
      expect(Math.abs(msBetween(now, rows[0]!.attempted_at))).toBeLessThan(MINUTE);
      expect(rows[1]).toMatchObject({ id: success.id, outcome: 'passphrase_ok', is_success: true });

      const { unique_id: phoneUid } = await ensurePhone(db, phone);
      const m = await call(db, 'log_membership_attempt', phoneUid, 'otp_sent', true);
      expect(m).toEqual({ outcome: 'logged', unique_id: expect.any(String) });
      expect(await rowsOf(db, 'membership_attempts')).toEqual([
        expect.objectContaining({ unique_id: m.unique_id, phone_number_id: phoneUid, outcome: 'otp_sent', is_success: true, is_deleted: false }),
      ]);

      // Unknown phone: nothing written. A soft-deleted phone is still logged.
      expect(await call(db, 'log_membership_attempt', randomUUID(), 'x', false)).toEqual({ outcome: 'phone_not_found', unique_id: null });
      expect(await countOf(db, 'membership_attempts')).toBe(1);
      await db.query('UPDATE ecliptix.phone_numbers SET is_deleted = true WHERE unique_id = $1', [phoneUid]);
      expect((await call(db, 'log_membership_attempt', phoneUid, 'late', false)).outcome).toBe('logged');
      expect(await countOf(db, 'membership_attempts')).toBe(2);
    });
  });

  describe('login_membership', () => {
    const loginRows = async (phone: string) =>
      (
        await db.query<{ outcome: string; is_success: boolean; locked_until: Date | null; lockout_number: number | null; attempted_at: Date }>(
          'SELECT outcome, is_success, locked_until, lockout_number, attempted_at FROM ecliptix.login_attempts WHERE phone_number = $1 ORDER BY id',
          [phone],
        )
      ).rows;
    const failure = { membership_unique_id: null, status: null, secure_key: null, retry_after_seconds: null };

    it('every outcome, each recorded (except an empty number)', async () => {
      for (const empty of [null, '', '   ']) expect(await login(db, empty)).toEqual({ ...failure, outcome: 'phone_number_cannot_be_empty' });
      expect(await countOf(db, 'login_attempts')).toBe(0);

      const unknown = newPhone();
      expect(await login(db, unknown)).toEqual({ ...failure, outcome: 'phone_number_not_found' });

      const bare = newPhone();
      await ensurePhone(db, bare, 'US');
      expect(await login(db, bare)).toEqual({ ...failure, outcome: 'membership_not_found' });

      const noKey = await member(db, { secureKey: null });
      expect(await login(db, noKey.phone)).toEqual({
        ...failure,
        outcome: 'secure_key_not_set',
        membership_unique_id: noKey.membershipUid,
        status: 'active',
      });

      const inactive = await member(db);
      await db.query(`UPDATE ecliptix.memberships SET status = 'inactive' WHERE unique_id = $1`, [inactive.membershipUid]);
      expect(await login(db, inactive.phone)).toEqual({
        ...failure,
        outcome: 'inactive_membership',
        membership_unique_id: inactive.membershipUid,
        status: 'inactive',
      });
      await db.query(`UPDATE ecliptix.memberships SET status = 'blocked' WHERE unique_id = $1`, [inactive.membershipUid]);
      expect(await login(db, inactive.phone)).toMatchObject({ outcome: 'inactive_membership', status: 'blocked' });

      const good = await member(db, { secureKey: Buffer.from('secret-key') });
      // A second device of the same phone without a key: the membership with a key is chosen.
      await member(db, { phone: good.phone, secureKey: null });
      const ok = await login(db, good.phone);
      expect({ ...ok, secure_key: bytes(ok.secure_key) }).toEqual({
        outcome: 'success',
        membership_unique_id: good.membershipUid,
        status: 'active',
        secure_key: Buffer.from('secret-key'),
        retry_after_seconds: null,
      });

      const recorded = await db.query<{ phone_number: string; outcome: string; is_success: boolean }>(
        'SELECT phone_number, outcome, is_success FROM ecliptix.login_attempts WHERE locked_until IS NULL ORDER BY id',
      );
      expect(recorded.rows).toEqual([
        { phone_number: unknown, outcome: 'phone_number_not_found', is_success: false },
        { phone_number: bare, outcome: 'membership_not_found', is_success: false },
        { phone_number: noKey.phone, outcome: 'secure_key_not_set', is_success: false },
        { phone_number: inactive.phone, outcome: 'inactive_membership', is_success: false },
        { phone_number: inactive.phone, outcome: 'inactive_membership', is_success: false },
        { phone_number: good.phone, outcome: 'success', is_success: true },
      ]);
      expect(await countOf(db, 'login_attempts')).toBe(6);
    });

    it('5 failures lock the phone; lockouts grow 5, 15, 60, 60 minutes; a success resets the ladder; rows are kept', async () => {
      const journey = await member(db, { secureKey: Buffer.from([42]) });
      const phone = journey.phone;
      const setStatus = (status: string) => db.query('UPDATE ecliptix.memberships SET status = $2 WHERE unique_id = $1', [journey.membershipUid, status]);
      await setStatus('inactive');

      /** Four failures that start nothing, then the fifth, which starts a lockout of `minutes`. */
      async function failFiveTimes(minutes: number, lockoutNumber: number): Promise<void> {
        for (let i = 0; i < 4; i += 1) {
          expect(await login(db, phone)).toMatchObject({ outcome: 'inactive_membership', retry_after_seconds: null });
        }
        const fifth = await login(db, phone);
        expect(fifth).toMatchObject({ outcome: 'inactive_membership', membership_unique_id: journey.membershipUid, retry_after_seconds: minutes * 60 });
        const last = (await loginRows(phone)).at(-1)!;
        expect(last).toMatchObject({ outcome: 'inactive_membership', is_success: false, lockout_number: lockoutNumber });
        expect(msBetween(last.attempted_at, last.locked_until!)).toBe(minutes * MINUTE);
      }

      async function expectLocked(maxSeconds: number): Promise<void> {
        const locked: LoginResult = await login(db, phone);
        expect(locked).toMatchObject({ outcome: 'locked', membership_unique_id: null, status: null, secure_key: null });
        expect(locked.retry_after_seconds).toBeGreaterThan(maxSeconds - 20);
        expect(locked.retry_after_seconds).toBeLessThanOrEqual(maxSeconds);
      }

      await failFiveTimes(5, 1);
      await expectLocked(300);
      // Locked even for a login that would succeed.
      await setStatus('active');
      await expectLocked(300);
      await setStatus('inactive');
      await setClock(db, '4 minutes');
      await expectLocked(60);

      // The lockout is over; the locked calls count toward nothing, so it takes 5 new failures.
      await setClock(db, '5 minutes 1 second');
      await failFiveTimes(15, 2);
      await expectLocked(900);
      await setClock(db, '20 minutes 2 seconds');
      await failFiveTimes(60, 3);
      await setClock(db, '80 minutes 3 seconds');
      await failFiveTimes(60, 4); // capped at the last value
      await expectLocked(3600);

      // A success after the lockout resets the ladder.
      await setClock(db, '140 minutes 4 seconds');
      await setStatus('active');
      expect(await login(db, phone)).toMatchObject({ outcome: 'success', membership_unique_id: journey.membershipUid });
      await setStatus('inactive');
      await failFiveTimes(5, 1);

      // Every attempt is kept: 25 failures (5 of them starting a lockout), 5 locked calls, 1 success.
      const rows = await loginRows(phone);
      expect(rows).toHaveLength(31);
      expect(rows.filter((r) => r.outcome === 'locked')).toHaveLength(5);
      expect(rows.filter((r) => r.outcome === 'locked' && r.locked_until !== null)).toHaveLength(0);
      expect(rows.filter((r) => r.is_success)).toHaveLength(1);
      expect(rows.filter((r) => r.locked_until !== null).map((r) => r.lockout_number)).toEqual([1, 2, 3, 4, 1]);
    });

    it('counts failures within 5 minutes, logged ones included; a success between them does not reset the count', async () => {
      const phone = newPhone();
      for (let i = 0; i < 4; i += 1) await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false);
      // Six minutes later the four failures are out of the window.
      await setClock(db, '6 minutes');
      for (let i = 0; i < 2; i += 1) expect(await login(db, phone)).toEqual({ ...failure, outcome: 'phone_number_not_found' });
      // A success in between does not reset the window: alternating successes and failures still hit the limit.
      await call(db, 'log_login_attempt', phone, 'passphrase_ok', true);
      expect(await login(db, phone)).toEqual({ ...failure, outcome: 'phone_number_not_found' });
      await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false);
      expect(await countOf(db, 'login_attempts', 'locked_until IS NOT NULL')).toBe(0);
      // The fifth failure in the window, a logged one, starts the lockout itself.
      await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false);
      expect(await countOf(db, 'login_attempts', 'locked_until IS NOT NULL')).toBe(1);
      expect(await countOf(db, 'login_attempts')).toBe(4 + 2 + 1 + 1 + 1 + 1);
      const locked = await login(db, phone);
      expect(locked.outcome).toBe('locked');
      expect(locked.retry_after_seconds).toBe(300);
    });
  });
});
