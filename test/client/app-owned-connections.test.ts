/**
 * A client over a connection the application owns — a plain `pg.Pool` (the
 * default global pg types) and a PGlite instance the application created —
 * returns the values its types declare: every method once, runtime types
 * checked (bigint columns as numbers, timestamps as Dates, ids as strings,
 * the secure key as bytes).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createMembershipsClient, type MembershipsClient } from '../../src/client/memberships-client.js';
import { fromPglite, fromPgPool } from '../../src/client/open.js';
import type { FlowState } from '../../src/client/outcomes.js';
import { generateKeyring } from '../../src/client/keyring.js';
import type { Engine } from '../../src/db/database.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { nextUsPhone, phoneIdOf } from './client-harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function expectFlowState(flow: FlowState | null | undefined, connectionId: number | null): void {
  if (!flow) throw new Error('expected a flow state');
  expect(typeof flow.flowId).toBe('string');
  expect(flow.flowId).toMatch(UUID);
  expect(typeof flow.phoneId).toBe('string');
  expect(typeof flow.appDeviceId).toBe('string');
  expect(typeof flow.connectionId).toBe(connectionId === null ? 'object' : 'number');
  expect(flow.connectionId).toBe(connectionId);
  expect(flow.expiresAt).toBeInstanceOf(Date);
  expect(typeof flow.otpCount).toBe('number');
  expect(typeof flow.status).toBe('string');
  expect(typeof flow.purpose).toBe('string');
  if (flow.activeOtp !== null) {
    expect(typeof flow.activeOtp.otpId).toBe('string');
    expect(flow.activeOtp.expiresAt).toBeInstanceOf(Date);
    expect(typeof flow.activeOtp.status).toBe('string');
  }
}

async function journey(client: MembershipsClient): Promise<void> {
  const device = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() });
  expect(device).toEqual({ outcome: 'created', deviceId: expect.stringMatching(UUID) });
  const phoneNumber = nextUsPhone();
  const phone = await client.ensurePhoneNumber({ phoneNumber, region: 'US', appDeviceId: device.deviceId });
  expect(phone.outcome).toBe('created_and_associated');
  const phoneId = phoneIdOf(phone);
  expect(phoneId).toMatch(UUID);

  const flow = await client.initiateVerificationFlow({ appDeviceId: device.deviceId, phoneId, purpose: 'registration', connectionId: 42 });
  if (flow.outcome !== 'created') throw new Error(`expected created, got ${flow.outcome}`);
  expectFlowState(flow.flow, 42);
  expect(flow.flow.otpCount).toBe(0);
  const flowId = flow.flow.flowId;

  expect(await client.requestResendOtp(flowId)).toEqual({ outcome: 'resend_allowed' });
  const issued = await client.issueOtp(flowId);
  if (issued.outcome !== 'issued') throw new Error(`expected issued, got ${issued.outcome}`);
  expect(issued.otpId).toMatch(UUID);
  expect(issued.code).toMatch(/^\d{6}$/);
  const pending = await client.getFlowState(flowId);
  expectFlowState(pending, 42);
  expect(pending?.otpCount).toBe(1);
  expect(pending?.activeOtp?.otpId).toBe(issued.otpId);

  const resend = await client.requestResendOtp(flowId);
  if (resend.outcome !== 'resend_cooldown_active') throw new Error(`expected resend_cooldown_active, got ${resend.outcome}`);
  expect(typeof resend.retryAfterMs).toBe('number');

  expect(await client.verifyOtp(flowId, issued.code)).toEqual({ outcome: 'verified', otpId: issued.otpId });
  const verified = await client.getFlowState(flowId);
  expectFlowState(verified, 42);
  expect(verified?.status).toBe('verified');

  const membership = await client.createMembership({ flowId, otpId: issued.otpId, connectionId: 42 });
  if (membership.outcome !== 'created') throw new Error(`expected created, got ${membership.outcome}`);
  expect(membership.membershipId).toMatch(UUID);
  const secureKey = randomBytes(32);
  expect(await client.setSecureKey({ membershipId: membership.membershipId, flowId, secureKey })).toEqual({
    outcome: 'updated',
    membershipId: membership.membershipId,
    status: 'active',
    creationStatus: 'secure_key_set',
  });

  const login = await client.login(phoneNumber);
  if (login.outcome !== 'success') throw new Error(`expected success, got ${login.outcome}`);
  expect(login.secureKey).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(login.secureKey).equals(secureKey)).toBe(true);
  expect(await client.confirmLogin(phoneNumber)).toEqual({ outcome: 'confirmed' });

  const attempt = await client.logLoginAttempt({ phoneNumber, outcome: 'invalid_passphrase', isSuccess: false });
  if (attempt.outcome !== 'logged') throw new Error(`expected logged, got ${attempt.outcome}`);
  expect(typeof attempt.loginAttemptId).toBe('number');
  expect(Number.isSafeInteger(attempt.loginAttemptId)).toBe(true);

  const membershipAttempt = await client.logMembershipAttempt({ phoneId, outcome: 'created', isSuccess: true });
  if (membershipAttempt.outcome !== 'logged') throw new Error(`expected logged, got ${membershipAttempt.outcome}`);
  expect(typeof membershipAttempt.attemptId).toBe('string');

  expect(await client.getPhoneNumber(phoneId)).toEqual({ phoneNumber, region: 'US' });
  expect(await client.getPhoneNumberDetails(phoneId)).toEqual({ phoneId, phoneNumber, region: 'US' });
  expect(await client.verifyPhoneForSecretKeyRecovery({ phoneNumber })).toEqual({ outcome: 'eligible_for_recovery', phoneId });

  // A second flow, without a connection id, for the status updates.
  const second = await client.initiateVerificationFlow({ appDeviceId: device.deviceId, phoneId, purpose: 'login' });
  if (second.outcome !== 'created') throw new Error(`expected created, got ${second.outcome}`);
  expectFlowState(second.flow, null);
  const secondOtp = await client.issueOtp(second.flow.flowId);
  if (secondOtp.outcome !== 'issued') throw new Error(`expected issued, got ${secondOtp.outcome}`);
  const otpUpdate = await client.updateOtpStatus(secondOtp.otpId, 'failed');
  expect(otpUpdate.outcome).toBe('updated');
  expect(typeof otpUpdate.success).toBe('boolean');
  expect(typeof otpUpdate.message).toBe('string');
  expect(otpUpdate.retryAfterMs).toBeNull();
  const expired = await client.expireAssociatedOtp(second.flow.flowId);
  if (expired.outcome !== 'expired') throw new Error(`expected expired, got ${expired.outcome}`);
  expect(typeof expired.expiredCount).toBe('number');
  const flowUpdate = await client.updateVerificationFlowStatus(second.flow.flowId, 'failed');
  if (flowUpdate.outcome !== 'updated') throw new Error(`expected updated, got ${flowUpdate.outcome}`);
  expect(flowUpdate.rowsAffected).toBe(1);
  const failed = await client.getFlowState(second.flow.flowId);
  expectFlowState(failed, null);
  expect(failed?.status).toBe('failed');
}

const secrets = () => ({ otpKeys: generateKeyring('otp-app'), dataKeys: generateKeyring('data-app') });

describe.each(engines)('a client over an application-owned connection on %s', (engine: Engine) => {
  let target: TestDatabase | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await target?.drop();
    target = undefined;
  });

  it('returns every method’s values with their declared runtime types', async () => {
    target = await createTestDatabase(engine, { withSchema: true });
    if (engine === 'postgres') {
      // A plain pool: pg's global type parsers, untouched (bigint is a string there).
      const pool = new pg.Pool({ connectionString: target.config.databaseUrl, max: 2 });
      pool.on('error', () => undefined);
      cleanups.push(() => pool.end());
      expect(typeof (await pool.query('SELECT 1::bigint AS n')).rows[0].n).toBe('string');
      await journey(createMembershipsClient({ db: fromPgPool(pool), secrets: secrets() }));
      // The tool's bigint parsing, not a string, nor a lossy number.
      await expect(fromPgPool(pool).query('SELECT 9007199254740993::bigint AS n')).rejects.toThrow(RangeError);
      // The application's own queries still see pg's defaults.
      expect(typeof (await pool.query('SELECT 1::bigint AS n')).rows[0].n).toBe('string');
    } else {
      // An instance the application created, with PGlite's own parsers.
      const pglite = new PGlite(target.config.dataDir);
      cleanups.push(() => pglite.close());
      await journey(createMembershipsClient({ db: fromPglite(pglite), secrets: secrets() }));
      // The tool's bigint parsing, not PGlite's default (a BigInt past 2^53).
      expect(typeof (await pglite.query<{ n: unknown }>('SELECT 9007199254740993::bigint AS n')).rows[0]?.n).toBe('bigint');
      await expect(fromPglite(pglite).query('SELECT 9007199254740993::bigint AS n')).rejects.toThrow(RangeError);
    }
  });
});
