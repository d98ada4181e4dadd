/**
 * Memberships and login: create_membership, update_membership_secure_key,
 * log_login_attempt, log_membership_attempt and login_membership — every
 * outcome, the returned row and the resulting table contents (memberships,
 * membership_attempts, login_attempts), on PGlite and on a real PostgreSQL
 * server. Time is moved with the clock_offset setting, never by sleeping.
 * A refusal returns no identifier; a key is set only with a verified flow as
 * proof; login_membership's success is a key release, and only a confirmed
 * sign-in (log_login_attempt(..., true)) resets the lockout ladder.
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
  expectPgError,
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
  setSetting,
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
      // Verified directly in the table (update_verification_flow_status no longer verifies a flow, and
      // verifying the code deactivates it), so that the OTP is still active.
      const journey = await pendingFlow(db, { connectionId: 7 });
      await db.query(
        `UPDATE ecliptix.verification_flows SET status = 'verified', expires_at = ecliptix_internal.now() + interval '24 hours' WHERE unique_id = $1`,
        [journey.flowUid],
      );
      expect((await otpRow(db, journey.otpUid)).is_active).toBe(true);

      const created = await createMembership(db, journey.flowUid, 7, journey.otpUid);
      expect(created).toEqual({
        outcome: 'created',
        membership_unique_id: expect.any(String),
        status: 'active',
        creation_status: 'otp_verified',
        retry_after_seconds: null,
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

      // Again for the same phone and device: refused without disclosing the existing membership, the
      // membership unchanged, and the refusal logged.
      const existing = await membershipRow(db, created.membership_unique_id!);
      const again = await createMembership(db, journey.flowUid, 7, journey.otpUid, 'passphrase_set');
      expect(again).toEqual({
        outcome: 'membership_already_exists',
        membership_unique_id: null,
        status: null,
        creation_status: null,
        retry_after_seconds: null,
      });
      expect(await countOf(db, 'memberships')).toBe(1);
      expect(await membershipRow(db, created.membership_unique_id!)).toEqual(existing);
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
      const refused = { membership_unique_id: null, status: null, creation_status: null, retry_after_seconds: null };
      const before = await snapshotAllTables(db);
      expect(await createMembership(db, randomUUID(), 42, randomUUID())).toEqual({ ...refused, outcome: 'flow_not_found' });
      expect(await snapshotAllTables(db)).toEqual(before);

      const wrongConnection = await verifiedFlow(db, { connectionId: 42 });
      expect(await createMembership(db, wrongConnection.flowUid, 43, wrongConnection.otpUid)).toEqual({
        ...refused,
        outcome: 'connection_mismatch',
      });
      expect(await createMembership(db, wrongConnection.flowUid, null, wrongConnection.otpUid)).toEqual({
        ...refused,
        outcome: 'connection_mismatch',
      });
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
      for (let i = 0; i < 3; i += 1)
        expect((await createMembership(db, journey.flowUid, 1, journey.otpUid)).outcome).toBe('connection_mismatch');
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
        retry_after_seconds: 3600,
      });
      // Nothing written but the one event of the refusal's episode (issue 12: test/security/limit-events.test.ts).
      expect(await snapshotAllTables(db)).toEqual({ ...before, event_log: expect.stringMatching(/^1:/) });

      await setClock(db, '30 minutes');
      expect(await createMembership(db, journey.flowUid, 42, journey.otpUid)).toMatchObject({
        outcome: 'rate_limit_exceeded',
        retry_after_seconds: 1800,
      });
      await setClock(db, '59 minutes 30 seconds');
      expect(await createMembership(db, journey.flowUid, 42, journey.otpUid)).toMatchObject({
        outcome: 'rate_limit_exceeded',
        retry_after_seconds: 30,
      });

      // Another phone is not limited.
      const other = await verifiedFlow(db);
      expect((await createMembership(db, other.flowUid, 42, other.otpUid)).outcome).toBe('created');

      await setClock(db, '61 minutes');
      const created = await createMembership(db, journey.flowUid, 42, journey.otpUid);
      expect(created).toMatchObject({ outcome: 'created', status: 'active', retry_after_seconds: null });
      expect(await countOf(db, 'membership_attempts', 'phone_number_id = $1', [journey.phoneUid])).toBe(7);
    });
  });

  describe('update_membership_secure_key', () => {
    type KeyResult = {
      outcome: string;
      membership_unique_id: string | null;
      status: string | null;
      creation_status: string | null;
      retry_after_seconds: number | null;
    };
    const setKey = (uid: string, key: Buffer | null, flowUid: string) =>
      call<KeyResult>(db, 'update_membership_secure_key', uid, key, flowUid);
    const none = { membership_unique_id: null, status: null, creation_status: null, retry_after_seconds: null };

    it('updated with the registration flow as proof (key stored, secure_key_set, logged); an inactive membership stays inactive; an empty key is bad input (22004/22023); membership_not_found; membership_blocked', async () => {
      const journey = await member(db, { secureKey: null });
      const key = Buffer.from('0011223344556677', 'hex');

      // An inactive membership is not re-activated by a key: refused, logged, nothing else changes.
      await db.query(`UPDATE ecliptix.memberships SET status = 'inactive' WHERE unique_id = $1`, [journey.membershipUid]);
      expect(await setKey(journey.membershipUid, key, journey.flowUid)).toEqual({ ...none, outcome: 'membership_inactive' });
      expect(await membershipRow(db, journey.membershipUid)).toMatchObject({
        status: 'inactive',
        creation_status: 'otp_verified',
        secure_key: null,
      });

      await db.query(`UPDATE ecliptix.memberships SET status = 'active' WHERE unique_id = $1`, [journey.membershipUid]);
      const registrationFlow = await flowRow(db, journey.flowUid);
      expect(await setKey(journey.membershipUid, key, journey.flowUid)).toEqual({
        outcome: 'updated',
        membership_unique_id: journey.membershipUid,
        status: 'active',
        creation_status: 'secure_key_set',
        retry_after_seconds: null,
      });
      const row = await membershipRow(db, journey.membershipUid);
      expect(row).toMatchObject({ status: 'active', creation_status: 'secure_key_set' });
      expect(bytes(row.secure_key)).toEqual(key);
      // The registration flow is not used up (it proves the first key only, see below).
      expect(await flowRow(db, journey.flowUid)).toMatchObject({ status: 'verified', expires_at: registrationFlow.expires_at });
      expect(await attemptsOf(journey.phoneUid)).toEqual([
        { outcome: 'created', is_success: true },
        { outcome: 'membership_inactive', is_success: false },
        { outcome: 'secure_key_set', is_success: true },
      ]);

      // An empty key (bad input: an error, not an outcome) and membership_not_found write nothing; membership_blocked stays blocked and is logged.
      const other = await member(db, { secureKey: null });
      const before = await snapshotAllTables(db);
      await expectPgError(setKey(other.membershipUid, Buffer.alloc(0), other.flowUid), '22023', /^p_secure_key must not be empty$/);
      await expectPgError(setKey(other.membershipUid, null, other.flowUid), '22004', /^p_secure_key must not be null$/);
      expect(await setKey(randomUUID(), Buffer.from([1]), other.flowUid)).toEqual({ ...none, outcome: 'membership_not_found' });
      expect(await snapshotAllTables(db)).toEqual(before);

      // Blocked: refused without an identifier, even with a valid proof.
      await db.query(`UPDATE ecliptix.memberships SET status = 'blocked' WHERE unique_id = $1`, [other.membershipUid]);
      expect(await setKey(other.membershipUid, Buffer.from([1, 2]), other.flowUid)).toEqual({ ...none, outcome: 'membership_blocked' });
      expect(await membershipRow(db, other.membershipUid)).toMatchObject({
        status: 'blocked',
        secure_key: null,
        creation_status: 'otp_verified',
      });
      expect((await attemptsOf(other.phoneUid)).at(-1)).toEqual({ outcome: 'membership_blocked', is_success: false });

      await db.query('UPDATE ecliptix.memberships SET is_deleted = true WHERE unique_id = $1', [other.membershipUid]);
      expect((await setKey(other.membershipUid, Buffer.from([1]), other.flowUid)).outcome).toBe('membership_not_found');
    });

    it('a new key needs a verified, unexpired password_recovery flow of the same phone, used up by the call; anything else is invalid_proof (logged)', async () => {
      const journey = await member(db, { secureKey: Buffer.from([1, 1, 1]) });
      const first = Buffer.from([1, 1, 1]);
      const keyOf = async () => bytes((await membershipRow(db, journey.membershipUid)).secure_key);
      const invalid = async (flowUid: string): Promise<void> => {
        expect(await setKey(journey.membershipUid, Buffer.from([6, 6, 6]), flowUid)).toEqual({ ...none, outcome: 'invalid_proof' });
        expect(await keyOf()).toEqual(first);
      };

      // The registration flow proved the first key only.
      await invalid(journey.flowUid);
      // An unknown flow; a verified flow of another phone (registration or recovery); a verified flow of
      // the same phone with another purpose; a pending recovery flow of the same phone.
      await invalid(randomUUID());
      const stranger = await verifiedFlow(db, { purpose: 'password_recovery' });
      await invalid(stranger.flowUid);
      await invalid((await verifiedFlow(db)).flowUid);
      expect(await attemptsOf(journey.phoneUid)).toEqual([
        { outcome: 'created', is_success: true },
        { outcome: 'secure_key_set', is_success: true },
        ...Array.from({ length: 4 }, () => ({ outcome: 'invalid_proof', is_success: false })),
      ]);
      // Four failures so far; the rate limit (5 within the hour) is the next test's subject, so the
      // failures below are an hour later.
      await setClock(db, '61 minutes');
      await invalid((await verifiedFlow(db, { phone: journey.phone, purpose: 'login' })).flowUid);
      const pendingRecovery = await pendingFlow(db, { phone: journey.phone, purpose: 'password_recovery' });
      await invalid(pendingRecovery.flowUid);

      // A verified recovery flow of the same phone (from any device) sets a new key, and is used up.
      await setClock(db, '122 minutes');
      const recovery = await verifiedFlow(db, { phone: journey.phone, purpose: 'password_recovery' });
      const newer = Buffer.from([9, 8, 7]);
      expect(await setKey(journey.membershipUid, newer, recovery.flowUid)).toEqual({
        outcome: 'updated',
        membership_unique_id: journey.membershipUid,
        status: 'active',
        creation_status: 'secure_key_set',
        retry_after_seconds: null,
      });
      expect(await keyOf()).toEqual(newer);
      const used = await flowRow(db, recovery.flowUid);
      expect(used.status).toBe('verified');
      expect(used.expires_at).toEqual(used.updated_at); // expires_at set to the database clock of the call
      expect(msBetween(await dbNow(db), used.expires_at)).toBeLessThanOrEqual(0);
      // Used up: it cannot set a second key.
      expect(await setKey(journey.membershipUid, Buffer.from([6, 6, 6]), recovery.flowUid)).toEqual({ ...none, outcome: 'invalid_proof' });
      expect(await keyOf()).toEqual(newer);

      // An expired verified recovery flow (24 hours) is no proof either.
      const late = await verifiedFlow(db, { phone: journey.phone, purpose: 'password_recovery' });
      await setClock(db, '26 hours 3 minutes');
      expect(await setKey(journey.membershipUid, Buffer.from([6, 6, 6]), late.flowUid)).toEqual({ ...none, outcome: 'invalid_proof' });
      expect(await keyOf()).toEqual(newer);
      expect((await attemptsOf(journey.phoneUid)).slice(6)).toEqual([
        { outcome: 'invalid_proof', is_success: false },
        { outcome: 'invalid_proof', is_success: false },
        { outcome: 'secure_key_set', is_success: true },
        { outcome: 'invalid_proof', is_success: false },
        { outcome: 'invalid_proof', is_success: false },
      ]);
    });

    it('refuses after 5 failed attempts of the phone within the hour (rate_limit_exceeded, not logged), even with a valid proof', async () => {
      const journey = await member(db, { secureKey: null });
      for (let i = 0; i < 5; i += 1) {
        expect((await setKey(journey.membershipUid, Buffer.from([1]), randomUUID())).outcome).toBe('invalid_proof');
      }
      const before = await snapshotAllTables(db);
      expect(await setKey(journey.membershipUid, Buffer.from([1]), journey.flowUid)).toEqual({
        ...none,
        outcome: 'rate_limit_exceeded',
        retry_after_seconds: 3600,
      });
      // Nothing written but the one event of the refusal's episode (issue 12: test/security/limit-events.test.ts).
      expect(await snapshotAllTables(db)).toEqual({ ...before, event_log: expect.stringMatching(/^1:/) });
      // Checked before the membership's status: a blocked membership is not disclosed either.
      await db.query(`UPDATE ecliptix.memberships SET status = 'blocked' WHERE unique_id = $1`, [journey.membershipUid]);
      const blocked = await snapshotAllTables(db);
      expect(await setKey(journey.membershipUid, Buffer.from([1]), journey.flowUid)).toEqual({
        ...none,
        outcome: 'rate_limit_exceeded',
        retry_after_seconds: 3600,
      });
      expect(await snapshotAllTables(db)).toEqual(blocked);
      await db.query(`UPDATE ecliptix.memberships SET status = 'active' WHERE unique_id = $1`, [journey.membershipUid]);
      expect(await countOf(db, 'membership_attempts', 'NOT is_success')).toBe(5);

      await setClock(db, '30 minutes');
      expect(await setKey(journey.membershipUid, Buffer.from([1]), journey.flowUid)).toMatchObject({
        outcome: 'rate_limit_exceeded',
        retry_after_seconds: 1800,
      });
      await setClock(db, '61 minutes');
      expect((await setKey(journey.membershipUid, Buffer.from([1]), journey.flowUid)).outcome).toBe('updated');
      expect(bytes((await membershipRow(db, journey.membershipUid)).secure_key)).toEqual(Buffer.from([1]));
      expect(await countOf(db, 'membership_attempts', 'phone_number_id = $1', [journey.phoneUid])).toBe(7);
    });
  });

  describe('log_login_attempt and log_membership_attempt', () => {
    it('append one row each; a success only confirms an unconfirmed key release of the number within the hour', async () => {
      const journey = await member(db, { secureKey: Buffer.from('key') });
      const phone = journey.phone;
      const now = await dbNow(db);
      const logged = await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false);
      expect(logged).toEqual({ outcome: 'logged', login_attempt_id: expect.any(Number) });

      // A success without a key release to confirm: nothing written.
      let before = await snapshotAllTables(db);
      expect(await call(db, 'log_login_attempt', phone, 'passphrase_ok', true)).toEqual({
        outcome: 'key_release_not_found',
        login_attempt_id: null,
      });
      expect(await snapshotAllTables(db)).toEqual(before);
      // 'key_released' is login_membership's own outcome: a made-up release is refused.
      await expectPgError(call(db, 'log_login_attempt', phone, 'key_released', false), '22023', /p_outcome "key_released" is reserved/);
      await expectPgError(call(db, 'log_login_attempt', phone, 'key_released', true), '22023', /p_outcome "key_released" is reserved/);
      expect(await snapshotAllTables(db)).toEqual(before);

      // login_membership releases the key; the success confirms that release, once.
      expect((await login(db, phone)).outcome).toBe('success');
      const success = await call(db, 'log_login_attempt', phone, 'passphrase_ok', true);
      expect(success).toEqual({ outcome: 'logged', login_attempt_id: expect.any(Number) });
      expect(success.login_attempt_id).toBeGreaterThan(logged.login_attempt_id);
      before = await snapshotAllTables(db);
      expect(await call(db, 'log_login_attempt', phone, 'passphrase_ok', true)).toEqual({
        outcome: 'key_release_not_found',
        login_attempt_id: null,
      });
      expect(await snapshotAllTables(db)).toEqual(before);

      const rows = await rowsOf(db, 'login_attempts');
      expect(rows).toHaveLength(3);
      expect(rows[0]).toMatchObject({
        id: logged.login_attempt_id,
        phone_number: phone,
        outcome: 'wrong_passphrase',
        is_success: false,
        locked_until: null,
        lockout_number: null,
        calls_while_locked: 0,
      });
      expect(Math.abs(msBetween(now, rows[0]!.attempted_at))).toBeLessThan(MINUTE);
      expect(rows[1]).toMatchObject({
        phone_number: phone,
        outcome: 'key_released',
        is_success: false,
        locked_until: null,
        lockout_number: null,
      });
      expect(rows[2]).toMatchObject({ id: success.login_attempt_id, outcome: 'passphrase_ok', is_success: true });

      // A release older than key_release_window (1 hour) can no longer be confirmed.
      expect((await login(db, phone)).outcome).toBe('success');
      await setClock(db, '61 minutes');
      expect(await call(db, 'log_login_attempt', phone, 'passphrase_ok', true)).toEqual({
        outcome: 'key_release_not_found',
        login_attempt_id: null,
      });
      expect(await countOf(db, 'login_attempts')).toBe(4);
      // Another number's release confirms nothing for this one.
      const other = await member(db);
      expect((await login(db, other.phone)).outcome).toBe('success');
      expect(await call(db, 'log_login_attempt', phone, 'passphrase_ok', true)).toEqual({
        outcome: 'key_release_not_found',
        login_attempt_id: null,
      });
      expect((await call(db, 'log_login_attempt', other.phone, 'passphrase_ok', true)).outcome).toBe('logged');
      expect(await countOf(db, 'login_attempts')).toBe(6);

      // A release and its confirmation in one transaction share a time: the confirmation still uses it up.
      const third = await member(db, { secureKey: Buffer.from('key') });
      const confirmations = await db.transaction(async (tx) => {
        expect((await login(tx, third.phone)).outcome).toBe('success');
        return [
          await call(tx, 'log_login_attempt', third.phone, 'passphrase_ok', true),
          await call(tx, 'log_login_attempt', third.phone, 'passphrase_ok', true),
        ];
      });
      expect(confirmations.map((c) => c.outcome)).toEqual(['logged', 'key_release_not_found']);
      expect((await call(db, 'log_login_attempt', third.phone, 'passphrase_ok', true)).outcome).toBe('key_release_not_found');

      const { phone_unique_id: phoneUid } = await ensurePhone(db, newPhone());
      const attemptsBefore = await countOf(db, 'membership_attempts');
      const m = await call(db, 'log_membership_attempt', phoneUid, 'otp_sent', true);
      expect(m).toEqual({ outcome: 'logged', membership_attempt_unique_id: expect.any(String) });
      expect(await rowsOf(db, 'membership_attempts', 'phone_number_id = $1', [phoneUid])).toEqual([
        expect.objectContaining({
          unique_id: m.membership_attempt_unique_id,
          phone_number_id: phoneUid,
          outcome: 'otp_sent',
          is_success: true,
          is_deleted: false,
        }),
      ]);

      // Unknown phone: nothing written. A soft-deleted phone is still logged.
      expect(await call(db, 'log_membership_attempt', randomUUID(), 'x', false)).toEqual({
        outcome: 'phone_number_not_found',
        membership_attempt_unique_id: null,
      });
      expect(await countOf(db, 'membership_attempts')).toBe(attemptsBefore + 1);
      await db.query('UPDATE ecliptix.phone_numbers SET is_deleted = true WHERE unique_id = $1', [phoneUid]);
      expect((await call(db, 'log_membership_attempt', phoneUid, 'late', false)).outcome).toBe('logged');
      expect(await countOf(db, 'membership_attempts')).toBe(attemptsBefore + 2);
    });
  });

  describe('login_membership', () => {
    const loginRows = async (phone: string) =>
      (
        await db.query<{
          outcome: string;
          is_success: boolean;
          locked_until: Date | null;
          lockout_number: number | null;
          calls_while_locked: number;
          attempted_at: Date;
        }>(
          'SELECT outcome, is_success, locked_until, lockout_number, calls_while_locked, attempted_at FROM ecliptix.login_attempts WHERE phone_number = $1 ORDER BY id',
          [phone],
        )
      ).rows;
    const failure = { membership_unique_id: null, status: null, secure_key: null, retry_after_seconds: null };

    it('every outcome, each recorded (an empty number is bad input, not recorded); a refusal returns no identifier; a success is recorded as a key release', async () => {
      await expectPgError(login(db, null), '22004', /^p_phone_number must not be null$/);
      for (const empty of ['', '   ']) await expectPgError(login(db, empty), '22023', /^p_phone_number is not an E\.164 phone number/);
      expect(await countOf(db, 'login_attempts')).toBe(0);

      const unknown = newPhone();
      expect(await login(db, unknown)).toEqual({ ...failure, outcome: 'phone_number_not_found' });

      const bare = newPhone();
      await ensurePhone(db, bare, 'US');
      expect(await login(db, bare)).toEqual({ ...failure, outcome: 'membership_not_found' });

      const noKey = await member(db, { secureKey: null });
      expect(await login(db, noKey.phone)).toEqual({ ...failure, outcome: 'secure_key_not_set' });

      const inactive = await member(db);
      await db.query(`UPDATE ecliptix.memberships SET status = 'inactive' WHERE unique_id = $1`, [inactive.membershipUid]);
      expect(await login(db, inactive.phone)).toEqual({ ...failure, outcome: 'membership_inactive' });
      await db.query(`UPDATE ecliptix.memberships SET status = 'blocked' WHERE unique_id = $1`, [inactive.membershipUid]);
      expect(await login(db, inactive.phone)).toEqual({ ...failure, outcome: 'membership_blocked' });

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
        { phone_number: inactive.phone, outcome: 'membership_inactive', is_success: false },
        { phone_number: inactive.phone, outcome: 'membership_blocked', is_success: false },
        // A release, not a sign-in: only the application's confirmation is a success.
        { phone_number: good.phone, outcome: 'key_released', is_success: false },
      ]);
      expect(await countOf(db, 'login_attempts')).toBe(6);
    });

    it('5 failures lock the phone; lockouts grow 5, 15, 60, 60 minutes; locked calls add no row; a key release does not reset the ladder, a confirmed sign-in does; rows are kept', async () => {
      const journey = await member(db, { secureKey: Buffer.from([42]) });
      const phone = journey.phone;
      const setStatus = (status: string) =>
        db.query('UPDATE ecliptix.memberships SET status = $2 WHERE unique_id = $1', [journey.membershipUid, status]);
      await setStatus('inactive');

      /** Four failures that start nothing, then the fifth, which starts a lockout of `minutes`. */
      async function failFiveTimes(minutes: number, lockoutNumber: number): Promise<void> {
        for (let i = 0; i < 4; i += 1) {
          expect(await login(db, phone)).toEqual({ ...failure, outcome: 'membership_inactive' });
        }
        const fifth = await login(db, phone);
        expect(fifth).toEqual({ ...failure, outcome: 'membership_inactive', retry_after_seconds: minutes * 60 });
        const last = (await loginRows(phone)).at(-1)!;
        expect(last).toMatchObject({
          outcome: 'membership_inactive',
          is_success: false,
          lockout_number: lockoutNumber,
          calls_while_locked: 0,
        });
        expect(msBetween(last.attempted_at, last.locked_until!)).toBe(minutes * MINUTE);
      }

      /** A call during the lockout: locked, no row added, the lockout row's calls_while_locked + 1. */
      async function expectLocked(maxSeconds: number): Promise<void> {
        const rowsBefore = await loginRows(phone);
        const locked: LoginResult = await login(db, phone);
        expect(locked).toMatchObject({ outcome: 'locked', membership_unique_id: null, status: null, secure_key: null });
        expect(locked.retry_after_seconds).toBeGreaterThan(maxSeconds - 20);
        expect(locked.retry_after_seconds).toBeLessThanOrEqual(maxSeconds);
        const rowsAfter = await loginRows(phone);
        expect(rowsAfter).toHaveLength(rowsBefore.length);
        const lockout = rowsBefore.findLastIndex((r) => r.locked_until !== null);
        expect(rowsAfter).toEqual(rowsBefore.map((r, i) => (i === lockout ? { ...r, calls_while_locked: r.calls_while_locked + 1 } : r)));
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

      // A key release after the lockout is not a sign-in: the ladder goes on.
      await setClock(db, '140 minutes 4 seconds');
      await setStatus('active');
      expect(await login(db, phone)).toMatchObject({ outcome: 'success', membership_unique_id: journey.membershipUid });
      await setStatus('inactive');
      await failFiveTimes(60, 5);

      // A confirmed sign-in (the application reports the passphrase opened the released key) resets it.
      await setClock(db, '200 minutes 5 seconds');
      await setStatus('active');
      expect(await login(db, phone)).toMatchObject({ outcome: 'success', membership_unique_id: journey.membershipUid });
      expect((await call(db, 'log_login_attempt', phone, 'passphrase_ok', true)).outcome).toBe('logged');
      await setStatus('inactive');
      await failFiveTimes(5, 1);

      // Every attempt is kept: 30 failures (6 of them starting a lockout), 2 key releases, 1 confirmed
      // sign-in; the 5 locked calls are counted on their lockout's row.
      const rows = await loginRows(phone);
      expect(rows).toHaveLength(33);
      expect(rows.filter((r) => r.outcome === 'locked')).toHaveLength(0);
      expect(rows.filter((r) => r.outcome === 'key_released' && !r.is_success && r.locked_until === null)).toHaveLength(2);
      expect(rows.filter((r) => r.is_success)).toEqual([expect.objectContaining({ outcome: 'passphrase_ok' })]);
      const lockouts = rows.filter((r) => r.locked_until !== null);
      expect(lockouts.map((r) => r.lockout_number)).toEqual([1, 2, 3, 4, 5, 1]);
      expect(lockouts.map((r) => r.calls_while_locked)).toEqual([3, 1, 0, 1, 0, 0]);
      expect(rows.filter((r) => r.locked_until === null).every((r) => r.calls_while_locked === 0)).toBe(true);
    });

    it('counts failures within 5 minutes, logged ones included; a key release between them does not reset the count, a confirmed sign-in does; a failure while locked adds no row', async () => {
      const journey = await member(db, { secureKey: Buffer.from([7]) });
      const phone = journey.phone;
      const setStatus = (status: string) =>
        db.query('UPDATE ecliptix.memberships SET status = $2 WHERE unique_id = $1', [journey.membershipUid, status]);
      for (let i = 0; i < 4; i += 1) expect((await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false)).outcome).toBe('logged');
      // Six minutes later the four failures are out of the window.
      await setClock(db, '6 minutes');
      await setStatus('inactive');
      for (let i = 0; i < 2; i += 1) expect(await login(db, phone)).toEqual({ ...failure, outcome: 'membership_inactive' });
      // A key release in between does not reset the window: alternating releases and failures still hit the limit.
      await setStatus('active');
      expect((await login(db, phone)).outcome).toBe('success');
      await setStatus('inactive');
      expect(await login(db, phone)).toEqual({ ...failure, outcome: 'membership_inactive' });
      await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false);
      expect(await countOf(db, 'login_attempts', 'locked_until IS NOT NULL')).toBe(0);
      // The fifth failure in the window, a logged one, starts the lockout itself.
      expect(await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false)).toEqual({
        outcome: 'logged',
        login_attempt_id: expect.any(Number),
      });
      expect(await countOf(db, 'login_attempts', 'locked_until IS NOT NULL')).toBe(1);
      expect(await countOf(db, 'login_attempts')).toBe(4 + 2 + 1 + 1 + 1 + 1);
      const locked = await login(db, phone);
      expect(locked.outcome).toBe('locked');
      expect(locked.retry_after_seconds).toBe(300);
      // A failure reported while locked: outcome locked, no row, counted on the lockout's row.
      expect(await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false)).toEqual({ outcome: 'locked', login_attempt_id: null });
      expect(await countOf(db, 'login_attempts')).toBe(10);
      expect((await rowsOf(db, 'login_attempts', 'locked_until IS NOT NULL'))[0]).toMatchObject({ calls_while_locked: 2 });

      // After the lockout: a release, 4 failures, then the confirmed sign-in resets the count ...
      await setClock(db, '11 minutes 1 second');
      await setStatus('active');
      expect((await login(db, phone)).outcome).toBe('success');
      for (let i = 0; i < 4; i += 1) await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false);
      expect((await call(db, 'log_login_attempt', phone, 'passphrase_ok', true)).outcome).toBe('logged');
      // ... so 4 more failures start nothing, and the fifth starts lockout number 1 again.
      for (let i = 0; i < 4; i += 1) await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false);
      expect(await countOf(db, 'login_attempts', 'locked_until IS NOT NULL')).toBe(1);
      await call(db, 'log_login_attempt', phone, 'wrong_passphrase', false);
      const lockouts = await rowsOf(db, 'login_attempts', 'locked_until IS NOT NULL');
      expect(lockouts.map((r) => r.lockout_number)).toEqual([1, 1]);
      expect(msBetween(lockouts[1]!.attempted_at, lockouts[1]!.locked_until)).toBe(5 * MINUTE);
      expect(await countOf(db, 'login_attempts')).toBe(10 + 1 + 4 + 1 + 5);
    });

    it('too_many_key_releases: 10 releases within the hour without a confirmed sign-in; each refusal counts as a failure; a confirmation or the window ends it', async () => {
      const journey = await member(db, { secureKey: Buffer.from([5]) });
      const phone = journey.phone;
      for (let i = 0; i < 10; i += 1) expect((await login(db, phone)).outcome).toBe('success');
      expect(await login(db, phone)).toEqual({ ...failure, outcome: 'too_many_key_releases' });
      expect((await loginRows(phone)).at(-1)).toMatchObject({ outcome: 'too_many_key_releases', is_success: false, locked_until: null });
      // Failures like any other: the fifth starts a lockout.
      for (let i = 0; i < 3; i += 1) expect((await login(db, phone)).outcome).toBe('too_many_key_releases');
      expect(await login(db, phone)).toEqual({ ...failure, outcome: 'too_many_key_releases', retry_after_seconds: 300 });
      expect((await login(db, phone)).outcome).toBe('locked');

      // After the lockout the releases are still unconfirmed (within the hour): still refused.
      await setClock(db, '5 minutes 1 second');
      expect(await login(db, phone)).toEqual({ ...failure, outcome: 'too_many_key_releases' });
      // The application confirms a sign-in: releases are counted from there.
      expect((await call(db, 'log_login_attempt', phone, 'passphrase_ok', true)).outcome).toBe('logged');
      const ok = await login(db, phone);
      expect({ ...ok, secure_key: bytes(ok.secure_key) }).toEqual({
        outcome: 'success',
        membership_unique_id: journey.membershipUid,
        status: 'active',
        secure_key: Buffer.from([5]),
        retry_after_seconds: null,
      });
      for (let i = 0; i < 9; i += 1) expect((await login(db, phone)).outcome).toBe('success');
      expect((await login(db, phone)).outcome).toBe('too_many_key_releases');
      // Releases older than key_release_window no longer count; the setting is read on each call.
      await setClock(db, '66 minutes 2 seconds');
      expect((await login(db, phone)).outcome).toBe('success');
      await setSetting(db, 'max_key_releases_per_window', '1');
      expect((await login(db, phone)).outcome).toBe('too_many_key_releases');

      const rows = await loginRows(phone);
      expect(rows.filter((r) => r.outcome === 'key_released')).toHaveLength(10 + 10 + 1);
      expect(rows.filter((r) => r.outcome === 'too_many_key_releases')).toHaveLength(5 + 1 + 1 + 1);
      expect(rows.filter((r) => r.is_success)).toHaveLength(1);
      expect(rows.filter((r) => r.locked_until !== null)).toEqual([
        expect.objectContaining({ outcome: 'too_many_key_releases', lockout_number: 1, calls_while_locked: 1 }),
      ]);
    });
  });
});
