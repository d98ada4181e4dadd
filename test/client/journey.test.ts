/**
 * The whole journey through the typed client, on PGlite and on a real server,
 * with the database clock moved by the test instead of sleeping.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/databases.js';
import { advanceClock } from '../support/clock.js';
import { clientFixtureEach, nextUsPhone, phoneIdOf, registeredDevice, verifiedClientFlow, wrongCode } from './client-harness.js';

describe.each(engines)('memberships client journey on %s', (engine) => {
  const fx = clientFixtureEach(engine);

  it('register -> phone -> flow -> OTP (two wrong, one right) -> membership -> key -> login (release, confirm) -> lockouts -> recovery', async () => {
    const { client, db } = fx;
    const deviceId = await registeredDevice(client);
    const phoneNumber = nextUsPhone();

    const phone = await client.ensurePhoneNumber({ phoneNumber, region: 'US', appDeviceId: deviceId });
    expect(phone).toMatchObject({ outcome: 'created_and_associated', phone: { e164: phoneNumber, region: 'US' } });
    const phoneId = phoneIdOf(phone);

    const flow = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId, purpose: 'registration', connectionId: 42 });
    expect(flow.outcome).toBe('created');
    if (flow.outcome !== 'created') throw new Error('unreachable');
    expect(flow.flow).toMatchObject({ status: 'pending', purpose: 'registration', otpCount: 0, connectionId: 42, activeOtp: null });
    const flowId = flow.flow.flowId;

    const issued = await client.issueOtp(flowId);
    if (issued.outcome !== 'issued') throw new Error(`expected issued, got ${issued.outcome}`);
    expect(issued.code).toMatch(/^\d{6}$/);

    expect(await client.verifyOtp(flowId, wrongCode(issued.code))).toEqual({ outcome: 'invalid_code', otpId: issued.otpId });
    expect(await client.verifyOtp(flowId, wrongCode(wrongCode(issued.code)))).toEqual({ outcome: 'invalid_code', otpId: issued.otpId });
    expect((await db.query('SELECT count(*)::int AS n FROM ecliptix.failed_otp_attempts')).rows[0]).toEqual({ n: 2 });
    expect(await client.verifyOtp(flowId, issued.code)).toEqual({ outcome: 'verified', otpId: issued.otpId });
    expect(await client.verifyOtp(flowId, issued.code)).toEqual({ outcome: 'already_used' });
    expect((await client.getFlowState(flowId))?.status).toBe('verified');

    const membership = await client.createMembership({ flowId, otpId: issued.otpId, connectionId: 42 });
    if (membership.outcome !== 'created') throw new Error(`expected created, got ${membership.outcome}`);
    expect(membership).toMatchObject({ status: 'active', creationStatus: 'otp_verified' });

    // The key is set with the verified registration flow as proof of the phone.
    const secureKey = randomBytes(32);
    expect(await client.setSecureKey({ membershipId: membership.membershipId, flowId, secureKey })).toEqual({
      outcome: 'updated',
      membershipId: membership.membershipId,
      status: 'active',
      creationStatus: 'secure_key_set',
    });

    // A confirmation with no release to confirm writes nothing.
    expect(await client.confirmLogin(phoneNumber)).toEqual({ outcome: 'key_release_not_found' });
    const login = await client.login(phoneNumber);
    expect(login).toEqual({
      outcome: 'success',
      publicOutcome: 'success',
      membershipId: membership.membershipId,
      status: 'active',
      secureKey,
    });

    // Five failed sign-ins (e.g. a wrong passphrase after the key was released) start a lockout.
    for (let i = 0; i < 5; i++) {
      expect(await client.logLoginAttempt({ phoneNumber, outcome: 'invalid_passphrase', isSuccess: false })).toEqual({
        outcome: 'logged',
        loginAttemptId: expect.any(Number),
      });
    }
    const locked = await client.login(phoneNumber);
    if (locked.outcome !== 'locked') throw new Error(`expected locked, got ${locked.outcome}`);
    expect(locked.retryAfterMs).toBeGreaterThan(4 * 60_000);
    expect(locked.retryAfterMs).toBeLessThanOrEqual(5 * 60_000);
    // A failure reported during the lockout adds no row.
    const rowsWhileLocked = (await db.query('SELECT count(*)::int AS n FROM ecliptix.login_attempts')).rows[0];
    expect(await client.logLoginAttempt({ phoneNumber, outcome: 'invalid_passphrase', isSuccess: false })).toEqual({ outcome: 'locked' });
    expect((await db.query('SELECT count(*)::int AS n FROM ecliptix.login_attempts')).rows[0]).toEqual(rowsWhileLocked);

    // After the first lockout ends, five more failures with no success between: the second lockout lasts longer.
    await advanceClock(db, 5 * 60 + 1);
    for (let i = 0; i < 5; i++) await client.logLoginAttempt({ phoneNumber, outcome: 'invalid_passphrase', isSuccess: false });
    const lockedAgain = await client.login(phoneNumber);
    if (lockedAgain.outcome !== 'locked') throw new Error(`expected locked, got ${lockedAgain.outcome}`);
    expect(lockedAgain.retryAfterMs).toBeGreaterThan(locked.retryAfterMs);
    expect(lockedAgain.retryAfterMs).toBeGreaterThan(14 * 60_000);

    // A key release alone is not a sign-in: the ladder goes on (the third lockout is an hour).
    await advanceClock(db, 15 * 60 + 1);
    expect((await client.login(phoneNumber)).outcome).toBe('success');
    for (let i = 0; i < 5; i++) await client.logLoginAttempt({ phoneNumber, outcome: 'invalid_passphrase', isSuccess: false });
    const lockedAfterRelease = await client.login(phoneNumber);
    if (lockedAfterRelease.outcome !== 'locked') throw new Error(`expected locked, got ${lockedAfterRelease.outcome}`);
    expect(lockedAfterRelease.retryAfterMs).toBeGreaterThan(59 * 60_000);

    // A confirmed sign-in resets the ladder: the next lockout is short again.
    await advanceClock(db, 60 * 60 + 1);
    expect((await client.login(phoneNumber)).outcome).toBe('success');
    expect(await client.confirmLogin(phoneNumber)).toEqual({ outcome: 'confirmed' });
    expect(await client.confirmLogin(phoneNumber)).toEqual({ outcome: 'key_release_not_found' });
    for (let i = 0; i < 5; i++) await client.logLoginAttempt({ phoneNumber, outcome: 'invalid_passphrase', isSuccess: false });
    const lockedAfterSuccess = await client.login(phoneNumber);
    if (lockedAfterSuccess.outcome !== 'locked') throw new Error(`expected locked, got ${lockedAfterSuccess.outcome}`);
    expect(lockedAfterSuccess.retryAfterMs).toBeGreaterThan(4 * 60_000);
    expect(lockedAfterSuccess.retryAfterMs).toBeLessThanOrEqual(5 * 60_000);

    expect(await client.verifyPhoneForSecretKeyRecovery({ phoneNumber })).toEqual({ outcome: 'eligible_for_recovery', phoneId });
    expect(await client.getPhoneNumber(phoneId)).toEqual({ phoneNumber, region: 'US' });

    // Recovery: a verified password_recovery flow of the phone sets a new key, once.
    await advanceClock(db, 5 * 60 + 1);
    const recovery = await verifiedClientFlow(client, { phoneNumber, purpose: 'password_recovery' });
    const newKey = randomBytes(32);
    expect(await client.setSecureKey({ membershipId: membership.membershipId, flowId: recovery.flowId, secureKey: newKey })).toMatchObject({
      outcome: 'updated',
    });
    expect(
      await client.setSecureKey({ membershipId: membership.membershipId, flowId: recovery.flowId, secureKey: randomBytes(32) }),
    ).toEqual({ outcome: 'invalid_proof' });
    // The registration flow proved the first key only.
    expect(await client.setSecureKey({ membershipId: membership.membershipId, flowId, secureKey: randomBytes(32) })).toEqual({
      outcome: 'invalid_proof',
    });
    expect(await client.login(phoneNumber)).toMatchObject({ outcome: 'success', secureKey: newKey });
  });

  it('too many key releases without a confirmed sign-in are refused as too_many_attempts until one is confirmed', async () => {
    const { client } = fx;
    const phoneNumber = nextUsPhone();
    const registration = await verifiedClientFlow(client, { phoneNumber, purpose: 'registration' });
    const membership = await client.createMembership({ flowId: registration.flowId, otpId: registration.otpId });
    if (membership.outcome !== 'created') throw new Error(membership.outcome);
    const secureKey = randomBytes(16);
    expect((await client.setSecureKey({ membershipId: membership.membershipId, flowId: registration.flowId, secureKey })).outcome).toBe(
      'updated',
    );

    for (let i = 0; i < 10; i++) expect(await client.login(phoneNumber)).toMatchObject({ outcome: 'success', secureKey });
    expect(await client.login(phoneNumber)).toEqual({
      outcome: 'too_many_key_releases',
      publicOutcome: 'too_many_attempts',
      retryAfterMs: null,
    });
    expect(await client.confirmLogin(phoneNumber)).toEqual({ outcome: 'confirmed' });
    expect(await client.login(phoneNumber)).toMatchObject({ outcome: 'success', publicOutcome: 'success', secureKey });
  });

  it('resend cooldown, the 5-OTP cap, and a code that outlives its 30 s', async () => {
    const { client, db } = fx;
    const deviceId = await registeredDevice(client);
    const phone = await client.ensurePhoneNumber({ phoneNumber: nextUsPhone(), appDeviceId: deviceId });
    const flow = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId: phoneIdOf(phone), purpose: 'registration' });
    if (flow.outcome !== 'created') throw new Error(flow.outcome);
    const flowId = flow.flow.flowId;

    const first = await client.issueOtp(flowId);
    expect(first.outcome).toBe('issued');
    const tooSoon = await client.issueOtp(flowId);
    if (tooSoon.outcome !== 'resend_cooldown_active') throw new Error(tooSoon.outcome);
    expect(tooSoon.retryAfterMs).toBeGreaterThan(0);
    expect(tooSoon.retryAfterMs).toBeLessThanOrEqual(30_000);

    // The code expires after 30 s of database time.
    await advanceClock(db, 31);
    if (first.outcome !== 'issued') throw new Error('unreachable');
    expect(await client.verifyOtp(flowId, first.code)).toEqual({ outcome: 'otp_expired' });
    await advanceClock(db, 30);
    expect(await client.verifyOtp(flowId, first.code)).toEqual({ outcome: 'flow_expired' });
  });

  it('caps OTPs at 5 per flow; a newer code replaces the older one', async () => {
    const { client, db } = fx;
    await db.query("UPDATE ecliptix_internal.settings SET value = '10 minutes' WHERE name = 'flow_lifetime'");
    const deviceId = await registeredDevice(client);
    const phone = await client.ensurePhoneNumber({ phoneNumber: nextUsPhone(), appDeviceId: deviceId });
    const flow = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId: phoneIdOf(phone), purpose: 'login' });
    if (flow.outcome !== 'created') throw new Error(flow.outcome);
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const issued = await client.issueOtp(flow.flow.flowId);
      if (issued.outcome !== 'issued') throw new Error(`OTP ${i + 1}: ${issued.outcome}`);
      codes.push(issued.code);
      await advanceClock(db, 31);
    }
    expect(await client.issueOtp(flow.flow.flowId)).toEqual({ outcome: 'max_otps_reached' });
    expect((await client.getFlowState(flow.flow.flowId))?.status).toBe('failed');
    expect((await db.query('SELECT count(*)::int AS n FROM ecliptix.otp_records')).rows[0]).toEqual({ n: 5 });
  });

  it('five wrong codes fail the flow', async () => {
    const { client } = fx;
    const deviceId = await registeredDevice(client);
    const phone = await client.ensurePhoneNumber({ phoneNumber: nextUsPhone(), appDeviceId: deviceId });
    const flow = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId: phoneIdOf(phone), purpose: 'registration' });
    if (flow.outcome !== 'created') throw new Error(flow.outcome);
    const issued = await client.issueOtp(flow.flow.flowId);
    if (issued.outcome !== 'issued') throw new Error(issued.outcome);
    for (let i = 0; i < 4; i++) expect((await client.verifyOtp(flow.flow.flowId, wrongCode(issued.code))).outcome).toBe('invalid_code');
    expect(await client.verifyOtp(flow.flow.flowId, wrongCode(issued.code))).toEqual({ outcome: 'max_failed_checks_reached' });
    expect(await client.verifyOtp(flow.flow.flowId, issued.code)).toEqual({ outcome: 'flow_not_pending' });
  });

  it('a flow expires after its lifetime, and 30 flows per phone per hour are the limit', async () => {
    const { client, db } = fx;
    const phone = await client.ensurePhoneNumber({ phoneNumber: nextUsPhone() });
    const devices = await Promise.all(Array.from({ length: 31 }, () => registeredDevice(client)));
    const first = await client.initiateVerificationFlow({ appDeviceId: devices[0]!, phoneId: phoneIdOf(phone), purpose: 'registration' });
    if (first.outcome !== 'created') throw new Error(first.outcome);
    await advanceClock(db, 61);
    expect((await client.issueOtp(first.flow.flowId)).outcome).toBe('flow_expired');

    for (const device of devices.slice(1, 30)) {
      expect(
        (await client.initiateVerificationFlow({ appDeviceId: device, phoneId: phoneIdOf(phone), purpose: 'registration' })).outcome,
      ).toBe('created');
    }
    const limited = await client.initiateVerificationFlow({
      appDeviceId: devices[30]!,
      phoneId: phoneIdOf(phone),
      purpose: 'registration',
    });
    if (limited.outcome !== 'rate_limit_exceeded') throw new Error(limited.outcome);
    expect(limited.retryAfterMs).toBeGreaterThan(58 * 60_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(60 * 60_000);
    await advanceClock(db, 3600);
    expect(
      (await client.initiateVerificationFlow({ appDeviceId: devices[30]!, phoneId: phoneIdOf(phone), purpose: 'registration' })).outcome,
    ).toBe('created');
  });
});
