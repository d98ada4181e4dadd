/**
 * Verification flows and OTPs: initiate_verification_flow, request_resend_otp,
 * insert_otp_record, update_otp_status, update_verification_flow_status,
 * expire_associated_otp and get_full_flow_state — every outcome, the returned
 * row and the resulting table contents, on PGlite and on a real PostgreSQL
 * server. Time is moved with the clock_offset setting, never by sleeping:
 * insert_otp_record keeps the 30 s resend cooldown for every code, so a test
 * that inserts a flow's next code first moves the clock past it.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import {
  HOUR,
  MINUTE,
  PAST_RESEND_COOLDOWN,
  advanceClock,
  call,
  callRows,
  countOf,
  dbNow,
  ensurePhone,
  flowRow,
  initiateFlow,
  insertOtp,
  msBetween,
  newPhone,
  otpRow,
  pendingFlow,
  registerDevice,
  rowsOf,
  setClock,
  setSetting,
  snapshotAllTables,
  updateOtpStatus,
  verifiedFlow,
  type FlowState,
} from './journey.js';

const NO_FLOW = {
  flow_unique_id: null,
  phone_unique_id: null,
  app_device_id: null,
  connection_id: null,
  expires_at: null,
  status: null,
  purpose: null,
  otp_count: null,
  otp_unique_id: null,
  otp_hash: null,
  otp_salt: null,
  otp_expires_at: null,
  otp_status: null,
  otp_is_active: null,
  retry_after_seconds: null,
};

const NO_OTP = {
  otp_unique_id: null,
  otp_hash: null,
  otp_salt: null,
  otp_expires_at: null,
  otp_status: null,
  otp_is_active: null,
};

describe.each(engines)('verification flows and OTPs on %s', (engine) => {
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

  /** A device and a phone (not linked). */
  async function deviceAndPhone(): Promise<{ deviceUid: string; phoneUid: string; phone: string }> {
    const { deviceUid } = await registerDevice(db);
    const phone = newPhone();
    const { phone_unique_id: phoneUid } = await ensurePhone(db, phone);
    return { deviceUid, phoneUid, phone };
  }

  describe('initiate_verification_flow', () => {
    it('phone_number_not_found, app_device_not_found; created with the configured lifetime; retrieved with its OTP', async () => {
      const { deviceUid, phoneUid } = await deviceAndPhone();
      // phone_number_not_found and app_device_not_found: no flow, nothing written.
      const before = await snapshotAllTables(db);
      expect(await initiateFlow(db, deviceUid, randomUUID())).toEqual({ ...NO_FLOW, outcome: 'phone_number_not_found' });
      expect(await initiateFlow(db, randomUUID(), phoneUid)).toEqual({ ...NO_FLOW, outcome: 'app_device_not_found' });
      expect(await snapshotAllTables(db)).toEqual(before);

      const gone = await deviceAndPhone();
      await db.query('UPDATE ecliptix.app_devices SET is_deleted = true WHERE unique_id = $1', [gone.deviceUid]);
      expect((await initiateFlow(db, gone.deviceUid, gone.phoneUid)).outcome).toBe('app_device_not_found');
      await db.query('UPDATE ecliptix.phone_numbers SET is_deleted = true WHERE unique_id = $1', [gone.phoneUid]);
      expect((await initiateFlow(db, deviceUid, gone.phoneUid)).outcome).toBe('phone_number_not_found');
      expect(await countOf(db, 'verification_flows')).toBe(0);

      const created = await initiateFlow(db, deviceUid, phoneUid, 'registration', 77);
      expect(created).toEqual({
        ...NO_OTP,
        retry_after_seconds: null,
        outcome: 'created',
        flow_unique_id: expect.any(String),
        phone_unique_id: phoneUid,
        app_device_id: deviceUid,
        connection_id: 77,
        expires_at: expect.any(Date),
        status: 'pending',
        purpose: 'registration',
        otp_count: 0,
      });
      const row = await flowRow(db, created.flow_unique_id!);
      expect(row).toMatchObject({
        app_device_id: deviceUid,
        status: 'pending',
        purpose: 'registration',
        otp_count: 0,
        connection_id: 77,
        is_deleted: false,
      });
      expect(row.expires_at).toEqual(created.expires_at);
      expect(msBetween(row.created_at, row.expires_at)).toBe(MINUTE); // flow_lifetime default: 1 minute

      // Retrieved: the same live flow, now with its active OTP; nothing new written.
      const otp = await insertOtp(db, created.flow_unique_id!, { hash: 'h1', salt: 's1' });
      const retrieved = await initiateFlow(db, deviceUid, phoneUid, 'registration', 99);
      expect(retrieved).toEqual({
        ...created,
        outcome: 'retrieved',
        otp_count: 1,
        otp_unique_id: otp.otp_unique_id,
        otp_hash: 'h1',
        otp_salt: 's1',
        otp_expires_at: expect.any(Date),
        otp_status: 'pending',
        otp_is_active: true,
      });
      expect(await countOf(db, 'verification_flows')).toBe(1);

      // The lifetime is a setting.
      await setSetting(db, 'flow_lifetime', '5 minutes');
      const login = await initiateFlow(db, deviceUid, phoneUid, 'login');
      expect(login).toMatchObject({ outcome: 'created', purpose: 'login', connection_id: null });
      const loginRow = await flowRow(db, login.flow_unique_id!);
      expect(msBetween(loginRow.created_at, loginRow.expires_at)).toBe(5 * MINUTE);
      expect(await countOf(db, 'verification_flows')).toBe(2);
    });

    it('returns a verified flow only to the same device and purpose; expires stale pending flows of the same device and purpose', async () => {
      const journey = await verifiedFlow(db, { purpose: 'registration' });
      const verifiedRow = await flowRow(db, journey.flowUid);

      const again = await initiateFlow(db, journey.deviceUid, journey.phoneUid, 'registration');
      expect(again).toMatchObject({
        ...NO_OTP,
        retry_after_seconds: null,
        outcome: 'verified',
        flow_unique_id: journey.flowUid,
        status: 'verified',
        purpose: 'registration',
        otp_count: 1,
        connection_id: 42,
      });
      expect(again.expires_at).toEqual(verifiedRow.expires_at);
      expect(await countOf(db, 'verification_flows')).toBe(1);

      // Another device of the same phone gets a flow of its own (Fix: not the other device's).
      const other = await registerDevice(db);
      const otherFlow = await initiateFlow(db, other.deviceUid, journey.phoneUid, 'registration');
      expect(otherFlow).toMatchObject({ outcome: 'created', status: 'pending', app_device_id: other.deviceUid });
      expect(otherFlow.flow_unique_id).not.toBe(journey.flowUid);

      // Another purpose on the same device, too.
      const login = await initiateFlow(db, journey.deviceUid, journey.phoneUid, 'login');
      expect(login).toMatchObject({ outcome: 'created', status: 'pending', purpose: 'login' });

      const loginOtp = await insertOtp(db, login.flow_unique_id!);

      // Once the verified flow has expired (24 h), a new flow is created.
      await setClock(db, '25 hours');
      const later = await initiateFlow(db, journey.deviceUid, journey.phoneUid, 'registration');
      expect(later).toMatchObject({ ...NO_OTP, outcome: 'created', status: 'pending', otp_count: 0 });
      expect((await flowRow(db, journey.flowUid)).status).toBe('verified');

      // The stale pending flow of the same device, phone and purpose is marked expired, and a new one created;
      // its OTP is left as it is, and the stale flows of other devices or purposes too.
      const newLogin = await initiateFlow(db, journey.deviceUid, journey.phoneUid, 'login');
      expect(newLogin).toMatchObject({ ...NO_OTP, outcome: 'created', status: 'pending', purpose: 'login', otp_count: 0 });
      expect(newLogin.flow_unique_id).not.toBe(login.flow_unique_id);
      expect((await flowRow(db, login.flow_unique_id!)).status).toBe('expired');
      expect(await otpRow(db, loginOtp.otp_unique_id!)).toMatchObject({ status: 'pending', is_active: true });
      expect((await flowRow(db, otherFlow.flow_unique_id!)).status).toBe('pending');
      expect(await countOf(db, 'verification_flows')).toBe(5);
    });

    it('refuses the 31st flow of a phone within the hour, but still returns live flows; allowed again an hour later', async () => {
      const { phoneUid } = await deviceAndPhone();
      const devices = await Promise.all([registerDevice(db), registerDevice(db)]);
      const [a, b] = [devices[0]!.deviceUid, devices[1]!.deviceUid];
      // 29 flows that failed, then a live 30th.
      for (let i = 0; i < 29; i += 1) {
        const flow = await initiateFlow(db, a, phoneUid, 'login');
        expect(flow.outcome).toBe('created');
        expect((await call(db, 'update_verification_flow_status', flow.flow_unique_id, 'failed')).outcome).toBe('updated');
      }
      const live = await initiateFlow(db, a, phoneUid, 'login');
      expect(live.outcome).toBe('created');
      expect(await countOf(db, 'verification_flows')).toBe(30);

      const before = await snapshotAllTables(db);
      const limited = { ...NO_FLOW, outcome: 'rate_limit_exceeded', retry_after_seconds: expect.any(Number) };
      const refusedA = await initiateFlow(db, a, phoneUid, 'registration');
      expect(refusedA).toEqual(limited);
      // Retry after: when the oldest of the 30 flows leaves the one-hour window.
      expect(refusedA.retry_after_seconds).toBeGreaterThan(3500);
      expect(refusedA.retry_after_seconds).toBeLessThanOrEqual(3600);
      expect(await initiateFlow(db, b, phoneUid, 'login')).toEqual(limited);
      // Nothing written but the one event of the refusal's episode (issue 12: test/security/limit-events.test.ts).
      expect(await snapshotAllTables(db)).toEqual({ ...before, event_log: expect.stringMatching(/^1:/) });
      // Returning the live pending flow creates nothing, so it is not limited.
      expect(await initiateFlow(db, a, phoneUid, 'login')).toMatchObject({ outcome: 'retrieved', flow_unique_id: live.flow_unique_id });
      // Another phone is not affected.
      const otherPhone = (await ensurePhone(db, newPhone())).phone_unique_id;
      expect((await initiateFlow(db, a, otherPhone, 'login')).outcome).toBe('created');

      await setClock(db, '59 minutes');
      expect((await initiateFlow(db, b, phoneUid, 'login')).outcome).toBe('rate_limit_exceeded');
      await setClock(db, '61 minutes');
      const allowed = await initiateFlow(db, b, phoneUid, 'login');
      expect(allowed).toMatchObject({ outcome: 'created', status: 'pending', app_device_id: b });
      expect(
        await countOf(db, 'verification_flows', 'phone_number_id = (SELECT id FROM ecliptix.phone_numbers WHERE unique_id = $1)', [
          phoneUid,
        ]),
      ).toBe(31);
    });

    it('keeps the hourly limit under concurrent calls', async () => {
      await setSetting(db, 'max_flows_per_phone_per_hour', '3');
      const { phoneUid } = await deviceAndPhone();
      const devices = [];
      for (let i = 0; i < 8; i += 1) devices.push(await registerDevice(db));
      const results = await Promise.all(devices.map((d) => initiateFlow(db, d.deviceUid, phoneUid, 'registration')));
      expect(results.filter((r) => r.outcome === 'created')).toHaveLength(3);
      expect(results.filter((r) => r.outcome === 'rate_limit_exceeded')).toHaveLength(5);
      expect(await countOf(db, 'verification_flows')).toBe(3);
    });
  });

  describe('request_resend_otp', () => {
    type Resend = { outcome: string; retry_after_seconds: number | null };
    const resend = (flowUid: string) => call<Resend>(db, 'request_resend_otp', flowUid);

    it('resend_allowed, resend_cooldown_active for 30 s after the last OTP, max_otps_reached after 5 OTPs', async () => {
      const { deviceUid, phoneUid } = await deviceAndPhone();
      const flow = await initiateFlow(db, deviceUid, phoneUid);
      const flowUid = flow.flow_unique_id!;
      // No OTP yet.
      expect(await resend(flowUid)).toEqual({ outcome: 'resend_allowed', retry_after_seconds: null });

      await insertOtp(db, flowUid);
      const cooling = await resend(flowUid);
      expect(cooling.outcome).toBe('resend_cooldown_active');
      expect(cooling.retry_after_seconds).toBeGreaterThanOrEqual(25); // 30 s minus the time this test took
      expect(cooling.retry_after_seconds).toBeLessThanOrEqual(30);

      await setClock(db, '20 seconds');
      const later = await resend(flowUid);
      expect(later.outcome).toBe('resend_cooldown_active');
      expect(later.retry_after_seconds).toBeGreaterThanOrEqual(5);
      expect(later.retry_after_seconds).toBeLessThanOrEqual(10);

      await setClock(db, '31 seconds');
      expect(await resend(flowUid)).toEqual({ outcome: 'resend_allowed', retry_after_seconds: null });
      // Deciding writes nothing.
      expect(await flowRow(db, flowUid)).toMatchObject({ status: 'pending', otp_count: 1 });
      expect(await countOf(db, 'otp_records')).toBe(1);

      // max_otps_reached once the flow has had 5 OTPs; the flow fails. Each code waits out
      // the cooldown (insert_otp_record keeps it too), so this flow lives 5 minutes.
      await setSetting(db, 'flow_lifetime', '5 minutes');
      const capped = (await initiateFlow(db, deviceUid, phoneUid, 'login')).flow_unique_id!;
      for (let i = 0; i < 4; i += 1) {
        if (i > 0) await advanceClock(db, PAST_RESEND_COOLDOWN);
        expect((await insertOtp(db, capped)).outcome).toBe('created');
      }
      expect((await resend(capped)).outcome).toBe('resend_cooldown_active');
      await advanceClock(db, '34 seconds'); // 34 s after its last OTP, within the flow's 5 minutes
      expect((await resend(capped)).outcome).toBe('resend_allowed');
      expect((await insertOtp(db, capped)).outcome).toBe('created');
      expect((await flowRow(db, capped)).otp_count).toBe(5);
      expect(await resend(capped)).toEqual({ outcome: 'max_otps_reached', retry_after_seconds: null });
      expect((await flowRow(db, capped)).status).toBe('failed');
      expect((await resend(capped)).outcome).toBe('flow_not_pending');
    });

    it('flow_expired marks the flow expired; flow_not_pending for finished flows, flow_not_found for unknown or deleted ones', async () => {
      const { deviceUid, phoneUid } = await deviceAndPhone();
      const flowUid = (await initiateFlow(db, deviceUid, phoneUid)).flow_unique_id!;
      await setClock(db, '61 seconds');
      expect(await resend(flowUid)).toEqual({ outcome: 'flow_expired', retry_after_seconds: null });
      expect((await flowRow(db, flowUid)).status).toBe('expired');
      expect(await resend(flowUid)).toEqual({ outcome: 'flow_not_pending', retry_after_seconds: null });

      expect(await resend(randomUUID())).toEqual({ outcome: 'flow_not_found', retry_after_seconds: null });
      const verified = await verifiedFlow(db);
      expect((await resend(verified.flowUid)).outcome).toBe('flow_not_pending');
      const deleted = await pendingFlow(db);
      await db.query('UPDATE ecliptix.verification_flows SET is_deleted = true WHERE unique_id = $1', [deleted.flowUid]);
      const before = await snapshotAllTables(db);
      expect((await resend(deleted.flowUid)).outcome).toBe('flow_not_found');
      expect(await snapshotAllTables(db)).toEqual(before);
    });
  });

  describe('insert_otp_record', () => {
    it('created: otp_count + 1, earlier OTPs inactive; refuses unknown, finished, expired and exhausted flows, and a code within the resend cooldown', async () => {
      const { deviceUid, phoneUid } = await deviceAndPhone();
      const flowUid = (await initiateFlow(db, deviceUid, phoneUid)).flow_unique_id!;
      const expiresAt = new Date((await dbNow(db)).getTime() + 2 * MINUTE);
      // The first code has no previous one, so no cooldown applies.
      const first = await call(db, 'insert_otp_record', flowUid, 'aGFzaA==', 'c2FsdA==', expiresAt, 'pending');
      expect(first).toEqual({ outcome: 'created', otp_unique_id: expect.any(String), retry_after_seconds: null });
      const phoneId = (await rowsOf(db, 'phone_numbers', 'unique_id = $1', [phoneUid]))[0]!.id;
      expect(await otpRow(db, first.otp_unique_id)).toMatchObject({
        flow_unique_id: flowUid,
        phone_number_id: phoneId,
        otp_hash: 'aGFzaA==',
        otp_salt: 'c2FsdA==',
        expires_at: expiresAt,
        status: 'pending',
        is_active: true,
        is_deleted: false,
      });
      expect((await flowRow(db, flowUid)).otp_count).toBe(1);

      // resend_cooldown_active: the next code within 30 s of the last one is refused with the seconds
      // left, and nothing is written (the earlier code stays active).
      const cooling = await snapshotAllTables(db);
      const tooSoon = await call(db, 'insert_otp_record', flowUid, 'h2', 's2', expiresAt);
      expect(tooSoon).toEqual({ outcome: 'resend_cooldown_active', otp_unique_id: null, retry_after_seconds: expect.any(Number) });
      expect(tooSoon.retry_after_seconds).toBeGreaterThanOrEqual(25); // 30 s minus the time this test took
      expect(tooSoon.retry_after_seconds).toBeLessThanOrEqual(30);
      await advanceClock(db, '20 seconds');
      const stillTooSoon = await call(db, 'insert_otp_record', flowUid, 'h2', 's2', expiresAt);
      expect(stillTooSoon).toMatchObject({ outcome: 'resend_cooldown_active', otp_unique_id: null });
      expect(stillTooSoon.retry_after_seconds).toBeGreaterThanOrEqual(5);
      expect(stillTooSoon.retry_after_seconds).toBeLessThanOrEqual(10);
      expect(await snapshotAllTables(db)).toEqual(cooling);

      // The status defaults to pending.
      await advanceClock(db, '11 seconds'); // 31 s after the first code, within the flow's minute
      const second = await call(db, 'insert_otp_record', flowUid, 'h2', 's2', expiresAt);
      expect(second).toEqual({ outcome: 'created', otp_unique_id: expect.any(String), retry_after_seconds: null });
      expect((await flowRow(db, flowUid)).otp_count).toBe(2);
      expect(await otpRow(db, first.otp_unique_id)).toMatchObject({ is_active: false, status: 'pending' });
      expect(await otpRow(db, second.otp_unique_id)).toMatchObject({ is_active: true, status: 'pending' });
      expect(await countOf(db, 'otp_records', 'is_active')).toBe(1);

      // Refusals insert nothing.
      const refused = { otp_unique_id: null, retry_after_seconds: null };
      expect(await insertOtp(db, randomUUID())).toEqual({ ...refused, outcome: 'flow_not_found' });

      const verified = await verifiedFlow(db);
      expect(await insertOtp(db, verified.flowUid)).toEqual({ ...refused, outcome: 'flow_not_pending' });
      expect((await flowRow(db, verified.flowUid)).otp_count).toBe(1);

      // Five OTPs are allowed (30 s apart, so this flow lives 10 minutes), the sixth fails the flow —
      // the cap is checked before the cooldown.
      await setSetting(db, 'flow_lifetime', '10 minutes');
      const exhausted = (await initiateFlow(db, deviceUid, phoneUid, 'update_phone')).flow_unique_id!;
      for (let i = 0; i < 5; i += 1) {
        if (i > 0) await advanceClock(db, PAST_RESEND_COOLDOWN);
        expect((await insertOtp(db, exhausted)).outcome).toBe('created');
      }
      expect(await insertOtp(db, exhausted)).toEqual({ ...refused, outcome: 'max_otps_reached' });
      expect(await flowRow(db, exhausted)).toMatchObject({ status: 'failed', otp_count: 5 });
      expect(await countOf(db, 'otp_records', 'flow_unique_id = $1', [exhausted])).toBe(5);
      await advanceClock(db, PAST_RESEND_COOLDOWN);
      expect((await insertOtp(db, exhausted)).outcome).toBe('flow_not_pending');

      // Expired: the flow is marked expired.
      await setSetting(db, 'flow_lifetime', '1 minute');
      const late = (await initiateFlow(db, deviceUid, phoneUid, 'login')).flow_unique_id!;
      await advanceClock(db, '2 minutes');
      expect(await insertOtp(db, late)).toEqual({ ...refused, outcome: 'flow_expired' });
      expect(await flowRow(db, late)).toMatchObject({ status: 'expired', otp_count: 0 });
      expect(await countOf(db, 'otp_records', 'flow_unique_id = $1', [late])).toBe(0);
    });
  });

  describe('update_otp_status', () => {
    it('verified: OTP verified and inactive, flow verified for 24 h; expired is final (expired -> pending refused)', async () => {
      const journey = await pendingFlow(db);
      expect(await updateOtpStatus(db, journey.otpUid, 'verified')).toEqual({
        outcome: 'updated',
        success: true,
        message: expect.stringMatching(/verified/),
        retry_after_seconds: null,
      });
      expect(await otpRow(db, journey.otpUid)).toMatchObject({ status: 'verified', is_active: false });
      const flow = await flowRow(db, journey.flowUid);
      expect(flow.status).toBe('verified');
      expect(msBetween(flow.updated_at, flow.expires_at)).toBe(24 * HOUR);
      expect(await countOf(db, 'failed_otp_attempts')).toBe(0);
      // The flow is no longer pending: nothing more can change.
      expect(await updateOtpStatus(db, journey.otpUid, 'failed')).toMatchObject({ outcome: 'flow_not_pending', success: false });

      // expired is final too: expired -> pending (and anything else) is refused while the flow stays pending.
      const other = await pendingFlow(db);
      expect(await updateOtpStatus(db, other.otpUid, 'expired')).toEqual({
        outcome: 'updated',
        success: true,
        message: 'OTP status set to expired',
        retry_after_seconds: null,
      });
      expect(await otpRow(db, other.otpUid)).toMatchObject({ status: 'expired', is_active: false });
      const before = await snapshotAllTables(db);
      for (const status of ['pending', 'verified', 'failed']) {
        expect(await updateOtpStatus(db, other.otpUid, status)).toEqual({
          outcome: 'invalid_status_transition',
          success: false,
          message: `an OTP in status expired cannot change to ${status}`,
          retry_after_seconds: null,
        });
      }
      expect(await snapshotAllTables(db)).toEqual(before);
      expect((await flowRow(db, other.flowUid)).status).toBe('pending');
    });

    it('5 failed checks fail the flow, each recorded in failed_otp_attempts', async () => {
      const journey = await pendingFlow(db);
      for (let i = 1; i <= 4; i += 1) {
        expect(await updateOtpStatus(db, journey.otpUid, 'failed')).toEqual({
          outcome: 'updated',
          success: true,
          message: `failed check ${i} of 5 recorded`,
          retry_after_seconds: null,
        });
        // The OTP stays active: the user may try again.
        expect(await otpRow(db, journey.otpUid)).toMatchObject({ status: 'failed', is_active: true });
        expect((await flowRow(db, journey.flowUid)).status).toBe('pending');
      }
      expect(await updateOtpStatus(db, journey.otpUid, 'failed')).toEqual({
        outcome: 'max_failed_checks_reached',
        success: true,
        message: 'failed check 5 of 5; the verification flow has failed',
        retry_after_seconds: null,
      });
      expect((await flowRow(db, journey.flowUid)).status).toBe('failed');
      expect(await otpRow(db, journey.otpUid)).toMatchObject({ status: 'failed', is_active: false });
      const attempts = await rowsOf(db, 'failed_otp_attempts');
      expect(attempts).toHaveLength(5);
      // Each failure also names the phone (V014), so the number's budget is counted across its flows.
      const phoneId = (await rowsOf(db, 'phone_numbers', 'unique_id = $1', [journey.phoneUid]))[0]!.id;
      for (const a of attempts) {
        expect(a).toMatchObject({
          otp_unique_id: journey.otpUid,
          flow_unique_id: journey.flowUid,
          phone_number_id: phoneId,
          is_deleted: false,
        });
      }

      expect(await updateOtpStatus(db, journey.otpUid, 'failed')).toMatchObject({ outcome: 'flow_not_pending', success: false });
      expect(await countOf(db, 'failed_otp_attempts')).toBe(5);
    });

    it('otp_not_found, flow_not_pending, flow_expired, otp_expired, otp_not_active', async () => {
      // otp_not_found: unknown or soft-deleted OTP.
      expect(await updateOtpStatus(db, randomUUID(), 'verified')).toEqual({
        outcome: 'otp_not_found',
        success: false,
        message: 'OTP not found',
        retry_after_seconds: null,
      });
      const deleted = await pendingFlow(db);
      await db.query('UPDATE ecliptix.otp_records SET is_deleted = true WHERE unique_id = $1', [deleted.otpUid]);
      expect((await updateOtpStatus(db, deleted.otpUid, 'verified')).outcome).toBe('otp_not_found');

      // flow_not_pending: the flow failed (ended by update_verification_flow_status).
      const failedFlow = await pendingFlow(db);
      await call(db, 'update_verification_flow_status', failedFlow.flowUid, 'failed');
      expect(await updateOtpStatus(db, failedFlow.otpUid, 'verified')).toMatchObject({ outcome: 'flow_not_pending', success: false });
      expect(await otpRow(db, failedFlow.otpUid)).toMatchObject({ status: 'pending', is_active: true });

      // otp_not_active: a newer OTP (after the resend cooldown) replaced it.
      const replaced = await pendingFlow(db);
      await advanceClock(db, PAST_RESEND_COOLDOWN);
      const newer = await insertOtp(db, replaced.flowUid);
      expect(newer.outcome).toBe('created');
      expect(await updateOtpStatus(db, replaced.otpUid, 'verified')).toMatchObject({ outcome: 'otp_not_active', success: false });
      expect(await otpRow(db, replaced.otpUid)).toMatchObject({ status: 'pending', is_active: false });
      expect((await flowRow(db, replaced.flowUid)).status).toBe('pending');

      // otp_expired: the OTP (10 s) is past its expiry while the flow (1 min) is not.
      const { deviceUid, phoneUid } = await deviceAndPhone();
      const shortFlow = (await initiateFlow(db, deviceUid, phoneUid)).flow_unique_id!;
      const short = await insertOtp(db, shortFlow, { lifetimeMs: 10_000 });
      await advanceClock(db, '20 seconds');
      expect(await updateOtpStatus(db, short.otp_unique_id!, 'verified')).toMatchObject({ outcome: 'otp_expired', success: false });
      expect(await otpRow(db, short.otp_unique_id!)).toMatchObject({ status: 'expired', is_active: false });
      expect((await flowRow(db, shortFlow)).status).toBe('pending');

      // flow_expired: past the flow's lifetime; the flow is marked expired.
      await setClock(db, '2 minutes');
      expect(await updateOtpStatus(db, newer.otp_unique_id!, 'verified')).toMatchObject({ outcome: 'flow_expired', success: false });
      expect((await flowRow(db, replaced.flowUid)).status).toBe('expired');
      expect(await otpRow(db, newer.otp_unique_id!)).toMatchObject({ status: 'pending', is_active: true });
      expect(await countOf(db, 'failed_otp_attempts')).toBe(0);
    });

    it('too_many_failed_checks: 15 failed checks of a number within the hour, across its flows, refuse every further check (the right code too) and write nothing', async () => {
      const phone = newPhone();
      // Three flows of the number (three devices), 5 wrong codes each: the third flow's fifth is the 15th.
      for (let flow = 0; flow < 3; flow += 1) {
        const journey = await pendingFlow(db, { phone });
        for (let i = 1; i <= 5; i += 1) {
          expect((await updateOtpStatus(db, journey.otpUid, 'failed')).outcome).toBe(i < 5 ? 'updated' : 'max_failed_checks_reached');
        }
      }
      expect(await countOf(db, 'failed_otp_attempts')).toBe(15);

      const fourth = await pendingFlow(db, { phone });
      const before = await snapshotAllTables(db);
      for (const status of ['verified', 'failed']) {
        const refused = await updateOtpStatus(db, fourth.otpUid, status);
        expect(refused).toEqual({
          outcome: 'too_many_failed_checks',
          success: false,
          message: 'too many failed OTP checks for this phone number',
          retry_after_seconds: expect.any(Number),
        });
        // Allowed again when the oldest of the 15 failures leaves the one-hour window.
        expect(refused.retry_after_seconds).toBeGreaterThan(3540);
        expect(refused.retry_after_seconds).toBeLessThanOrEqual(3600);
      }
      // Nothing written but the one event of the refusal's episode (issue 12: test/security/limit-events.test.ts).
      expect(await snapshotAllTables(db)).toEqual({ ...before, event_log: expect.stringMatching(/^4:/) });
      expect(await otpRow(db, fourth.otpUid)).toMatchObject({ status: 'pending', is_active: true });
      expect((await flowRow(db, fourth.flowUid)).status).toBe('pending');
      // Not a check: the OTP can still be expired.
      expect((await updateOtpStatus(db, fourth.otpUid, 'expired')).outcome).toBe('updated');

      // Another number has its own budget.
      const other = await pendingFlow(db);
      expect((await updateOtpStatus(db, other.otpUid, 'verified')).outcome).toBe('updated');

      // Just before the oldest failure leaves the window, still refused; just after, allowed.
      const probe = await pendingFlow(db, { phone });
      const { retry_after_seconds: retry } = await updateOtpStatus(db, probe.otpUid, 'verified');
      await setSetting(db, 'flow_lifetime', '2 hours');
      await advanceClock(db, `${retry! - 10} seconds`);
      const late = await pendingFlow(db, { phone });
      expect((await updateOtpStatus(db, late.otpUid, 'verified')).outcome).toBe('too_many_failed_checks');
      await advanceClock(db, '11 seconds');
      expect(await updateOtpStatus(db, late.otpUid, 'verified')).toEqual({
        outcome: 'updated',
        success: true,
        message: 'OTP verified; verification flow verified',
        retry_after_seconds: null,
      });
      expect((await flowRow(db, late.flowUid)).status).toBe('verified');
      expect(await countOf(db, 'failed_otp_attempts')).toBe(15);
    });

    it('too_many_failed_checks: max_consecutive_failed_otp_checks failures since the last verified flow lock checks for 24 h after the latest one; a verified flow resets the count', async () => {
      await setSetting(db, 'max_consecutive_failed_otp_checks', '7');
      const phone = newPhone();
      const first = await pendingFlow(db, { phone });
      for (let i = 1; i <= 5; i += 1) {
        expect((await updateOtpStatus(db, first.otpUid, 'failed')).outcome).toBe(i < 5 ? 'updated' : 'max_failed_checks_reached');
      }
      const second = await pendingFlow(db, { phone });
      for (let i = 1; i <= 2; i += 1) {
        expect(await updateOtpStatus(db, second.otpUid, 'failed')).toMatchObject({
          outcome: 'updated',
          message: `failed check ${i} of 5 recorded`,
        });
      }
      // 7 failures in a row: locked for 24 hours after the latest.
      const locked = await updateOtpStatus(db, second.otpUid, 'verified');
      expect(locked).toMatchObject({ outcome: 'too_many_failed_checks', success: false });
      expect(locked.retry_after_seconds).toBeGreaterThan(24 * 3600 - 60);
      expect(locked.retry_after_seconds).toBeLessThanOrEqual(24 * 3600);
      expect(await otpRow(db, second.otpUid)).toMatchObject({ status: 'failed', is_active: true });

      // Out of the hourly window, the run still locks.
      await advanceClock(db, '2 hours');
      const later = await pendingFlow(db, { phone });
      const stillLocked = await updateOtpStatus(db, later.otpUid, 'verified');
      expect(stillLocked.outcome).toBe('too_many_failed_checks');
      expect(stillLocked.retry_after_seconds).toBeGreaterThan(22 * 3600 - 60);
      expect(stillLocked.retry_after_seconds).toBeLessThanOrEqual(22 * 3600);

      // After the lockout one check is allowed; a failure locks again for 24 hours.
      await advanceClock(db, `${stillLocked.retry_after_seconds! + 1} seconds`);
      const retried = await pendingFlow(db, { phone });
      expect(await updateOtpStatus(db, retried.otpUid, 'failed')).toMatchObject({
        outcome: 'updated',
        message: 'failed check 1 of 5 recorded',
      });
      const relocked = await updateOtpStatus(db, retried.otpUid, 'verified');
      expect(relocked.outcome).toBe('too_many_failed_checks');
      expect(relocked.retry_after_seconds).toBeGreaterThan(24 * 3600 - 60);
      expect(await countOf(db, 'failed_otp_attempts')).toBe(8);

      // After that lockout the right code verifies a flow, which resets the run: failures are allowed again.
      await advanceClock(db, `${relocked.retry_after_seconds! + 1} seconds`);
      const good = await pendingFlow(db, { phone });
      expect((await updateOtpStatus(db, good.otpUid, 'verified')).outcome).toBe('updated');
      const next = await pendingFlow(db, { phone, purpose: 'login' });
      expect((await updateOtpStatus(db, next.otpUid, 'failed')).outcome).toBe('updated');
      expect((await updateOtpStatus(db, next.otpUid, 'verified')).outcome).toBe('updated');
      expect(await countOf(db, 'failed_otp_attempts')).toBe(9);
    });

    it("too_many_failed_checks: the run of failures counts from the moment a code was verified, not from its flow's start", async () => {
      await setSetting(db, 'max_consecutive_failed_otp_checks', '5');
      const phone = newPhone();
      // Four wrong codes, then the right one, on one flow: the run ends with the verification.
      const first = await pendingFlow(db, { phone });
      for (let i = 0; i < 4; i += 1) expect((await updateOtpStatus(db, first.otpUid, 'failed')).outcome).toBe('updated');
      expect((await updateOtpStatus(db, first.otpUid, 'verified')).outcome).toBe('updated');
      // One failure since: far from 5 in a row.
      const second = await pendingFlow(db, { phone, purpose: 'login' });
      expect((await updateOtpStatus(db, second.otpUid, 'failed')).outcome).toBe('updated');
      expect((await updateOtpStatus(db, second.otpUid, 'verified')).outcome).toBe('updated');
    });
  });

  describe('update_verification_flow_status', () => {
    it('only ends a pending flow (expired or failed); the same status is a no-op; anything else is invalid_status_transition; flow_not_found for unknown or deleted flows', async () => {
      type Result = { outcome: string; rows_affected: number };
      const setStatus = (flowUid: string, status: string) => call<Result>(db, 'update_verification_flow_status', flowUid, status);
      const journey = await pendingFlow(db);
      const original = await flowRow(db, journey.flowUid);

      // pending -> failed: the status only; the expiry stays.
      expect(await setStatus(journey.flowUid, 'failed')).toEqual({ outcome: 'updated', rows_affected: 1 });
      expect(await flowRow(db, journey.flowUid)).toMatchObject({ status: 'failed', expires_at: original.expires_at });
      // The same status again: updated, nothing changed.
      let untouched = await snapshotAllTables(db);
      expect(await setStatus(journey.flowUid, 'failed')).toEqual({ outcome: 'updated', rows_affected: 0 });
      expect(await snapshotAllTables(db)).toEqual(untouched);

      // A failed flow cannot be verified (no code was checked), re-opened for more guesses, or expired.
      await setClock(db, '10 minutes');
      untouched = await snapshotAllTables(db);
      for (const status of ['verified', 'pending', 'expired']) {
        expect(await setStatus(journey.flowUid, status)).toEqual({ outcome: 'invalid_status_transition', rows_affected: 0 });
      }
      expect(await snapshotAllTables(db)).toEqual(untouched);
      expect(await flowRow(db, journey.flowUid)).toMatchObject({ status: 'failed', expires_at: original.expires_at });

      // pending -> verified is refused too: a flow becomes verified only through update_otp_status.
      const live = await initiateFlow(db, journey.deviceUid, journey.phoneUid, 'registration');
      expect(live.outcome).toBe('created');
      const liveRow = await flowRow(db, live.flow_unique_id!);
      untouched = await snapshotAllTables(db);
      expect(await setStatus(live.flow_unique_id!, 'verified')).toEqual({ outcome: 'invalid_status_transition', rows_affected: 0 });
      expect(await setStatus(live.flow_unique_id!, 'pending')).toEqual({ outcome: 'updated', rows_affected: 0 });
      expect(await snapshotAllTables(db)).toEqual(untouched);
      // pending -> expired: the status only.
      expect(await setStatus(live.flow_unique_id!, 'expired')).toEqual({ outcome: 'updated', rows_affected: 1 });
      expect(await flowRow(db, live.flow_unique_id!)).toMatchObject({ status: 'expired', expires_at: liveRow.expires_at });
      expect(await setStatus(live.flow_unique_id!, 'expired')).toEqual({ outcome: 'updated', rows_affected: 0 });
      for (const status of ['pending', 'verified', 'failed']) {
        expect(await setStatus(live.flow_unique_id!, status)).toEqual({ outcome: 'invalid_status_transition', rows_affected: 0 });
      }
      expect((await flowRow(db, live.flow_unique_id!)).status).toBe('expired');

      // A verified flow (verified by its code) cannot be ended, or set back to pending.
      const verified = await verifiedFlow(db);
      const verifiedRow = await flowRow(db, verified.flowUid);
      untouched = await snapshotAllTables(db);
      for (const status of ['pending', 'expired', 'failed']) {
        expect(await setStatus(verified.flowUid, status)).toEqual({ outcome: 'invalid_status_transition', rows_affected: 0 });
      }
      expect(await setStatus(verified.flowUid, 'verified')).toEqual({ outcome: 'updated', rows_affected: 0 });
      expect(await snapshotAllTables(db)).toEqual(untouched);
      expect(await flowRow(db, verified.flowUid)).toMatchObject({ status: 'verified', expires_at: verifiedRow.expires_at });

      expect(await setStatus(randomUUID(), 'expired')).toEqual({ outcome: 'flow_not_found', rows_affected: 0 });
      const deleted = await pendingFlow(db);
      await db.query('UPDATE ecliptix.verification_flows SET is_deleted = true WHERE unique_id = $1', [deleted.flowUid]);
      const before = await snapshotAllTables(db);
      expect(await setStatus(deleted.flowUid, 'expired')).toEqual({ outcome: 'flow_not_found', rows_affected: 0 });
      expect(await snapshotAllTables(db)).toEqual(before);
    });
  });

  describe('expire_associated_otp', () => {
    it('expires the pending OTPs of the flow and reports how many', async () => {
      const journey = await pendingFlow(db);
      await advanceClock(db, PAST_RESEND_COOLDOWN);
      const second = await insertOtp(db, journey.flowUid);
      expect(second.outcome).toBe('created');
      const other = await pendingFlow(db);
      type Result = { outcome: string; expired_count: number };

      expect(await call<Result>(db, 'expire_associated_otp', journey.flowUid)).toEqual({ outcome: 'expired', expired_count: 2 });
      for (const uid of [journey.otpUid, second.otp_unique_id!]) {
        expect(await otpRow(db, uid)).toMatchObject({ status: 'expired', is_active: false });
      }
      // Another flow's OTP is untouched, and so is the flow itself.
      expect(await otpRow(db, other.otpUid)).toMatchObject({ status: 'pending', is_active: true });
      expect((await flowRow(db, journey.flowUid)).status).toBe('pending');

      expect(await call<Result>(db, 'expire_associated_otp', journey.flowUid)).toEqual({ outcome: 'expired', expired_count: 0 });
      expect(await call<Result>(db, 'expire_associated_otp', randomUUID())).toEqual({ outcome: 'flow_not_found', expired_count: 0 });

      // A verified OTP is not pending, so it stays verified.
      const verified = await verifiedFlow(db);
      expect(await call<Result>(db, 'expire_associated_otp', verified.flowUid)).toEqual({ outcome: 'expired', expired_count: 0 });
      expect((await otpRow(db, verified.otpUid)).status).toBe('verified');
    });
  });

  describe('get_full_flow_state', () => {
    it('returns the flow with its active, unexpired OTP; no row when unknown or deleted', async () => {
      const { deviceUid, phoneUid } = await deviceAndPhone();
      await setSetting(db, 'flow_lifetime', '5 minutes'); // two codes, 30 s apart, and past the second's expiry
      const flowUid = (await initiateFlow(db, deviceUid, phoneUid, 'password_recovery', 5)).flow_unique_id!;
      const state = async () => callRows<FlowState>(db, 'get_full_flow_state', flowUid);

      const bare = await state();
      expect(bare).toEqual([
        {
          ...NO_OTP,
          flow_unique_id: flowUid,
          phone_unique_id: phoneUid,
          app_device_id: deviceUid,
          connection_id: 5,
          expires_at: (await flowRow(db, flowUid)).expires_at,
          status: 'pending',
          purpose: 'password_recovery',
          otp_count: 0,
        },
      ]);

      const first = await insertOtp(db, flowUid, { lifetimeMs: 30_000, hash: 'h-a', salt: 's-a' });
      await advanceClock(db, PAST_RESEND_COOLDOWN);
      const second = await insertOtp(db, flowUid, { lifetimeMs: 30_000, hash: 'h-b', salt: 's-b' });
      expect(second.outcome).toBe('created');
      const withOtp = (await state())[0]!;
      expect(withOtp).toMatchObject({
        otp_count: 2,
        otp_unique_id: second.otp_unique_id,
        otp_hash: 'h-b',
        otp_salt: 's-b',
        otp_status: 'pending',
        otp_is_active: true,
      });
      expect(withOtp.otp_expires_at).toEqual((await otpRow(db, second.otp_unique_id!)).expires_at);
      expect(withOtp.otp_unique_id).not.toBe(first.otp_unique_id);

      // Past the OTP's expiry: the flow without OTP.
      await advanceClock(db, '40 seconds');
      expect((await state())[0]).toMatchObject({ ...NO_OTP, flow_unique_id: flowUid, otp_count: 2, status: 'pending' });

      expect(await callRows(db, 'get_full_flow_state', randomUUID())).toEqual([]);
      await db.query('UPDATE ecliptix.verification_flows SET is_deleted = true WHERE unique_id = $1', [flowUid]);
      expect(await state()).toEqual([]);
    });
  });
});
