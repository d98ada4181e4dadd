/**
 * Race-freedom of the ecliptix procedures on a real PostgreSQL server, at
 * every isolation level PostgreSQL offers: many connections call one
 * procedure for the same device / phone / flow at the same moment, and every
 * limit and uniqueness rule must still hold.
 *
 * Each level is set as the database's default_transaction_isolation, as an
 * application's pool or role would set it. Under REPEATABLE READ and
 * SERIALIZABLE a call whose limit another caller changed after its snapshot
 * fails with 40001 (the limit guards of V014); like the memberships client,
 * these tests run such a call again, and the exact counts must hold.
 *
 * PostgreSQL only: PGlite is a single connection, so it cannot race.
 *
 * Every race runs ROUNDS times on fresh keys: the first round meets cold
 * connections, whose first call of a PL/pgSQL function spends most of its
 * time planning, which spreads the calls out and can hide a race; the later
 * rounds run on warm connections, where the calls really overlap.
 *
 * Each test relies on one control of the SQL. To check that a test really
 * depends on it, run it against a copy of the routines without it (applied to
 * the test database only):
 *   SCHEMA_CONCURRENCY_MUTANT=no-limit-guards npx vitest run test/schema-concurrency/concurrency.test.ts
 * (names in mutants.ts); the tests relying on it must fail. With
 * guards-as-advisory-locks (the old routines' way) the READ COMMITTED tests
 * pass and the REPEATABLE READ / SERIALIZABLE ones fail.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMembershipsClient } from '../../src/client/memberships-client.js';
import { generateKeyring } from '../../src/client/keyring.js';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { applyRequestedMutant } from './mutants.js';
import {
  call,
  createMembership,
  ensurePhone,
  initiateFlow,
  insertOtp,
  registerDevice,
  tally,
  updateOtpStatus,
  verifiedRegistrationFlow,
  warmUp,
} from './procedures.js';

const POOL = 40;
const ROUNDS = 3;
const rounds = Array.from({ length: ROUNDS }, (_, i) => i);
const ISOLATION_LEVELS = ['read committed', 'repeatable read', 'serializable'] as const;
const RETRIED = new Set(['40001', '40P01']);

/** Runs `work` again while it fails with a serialization failure or deadlock (as the client does), up to 200 times. */
async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 200 || !code || !RETRIED.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
    }
  }
}

describe.each(ISOLATION_LEVELS)('ecliptix procedures under concurrent calls at %s (postgres)', (isolation) => {
  let target: TestDatabase;
  let db: Database;

  beforeEach(async () => {
    target = await createTestDatabase('postgres', { withSchema: true });
    const setup = await target.open({ maxConnections: 1 });
    try {
      // The level comes from the constant list above, never from input.
      await setup.exec(
        `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation = %L', current_database(), '${isolation}'); END $$`,
      );
    } finally {
      await setup.close();
    }
    db = await target.open({ maxConnections: POOL });
    const { rows } = await db.query<{ transaction_isolation: string }>('SHOW transaction_isolation');
    expect(rows[0]!.transaction_isolation).toBe(isolation);
    await applyRequestedMutant(db);
    await warmUp(db, POOL);
  });
  afterEach(async () => {
    await db?.close();
    await target?.drop();
  });

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params);
    return rows[0]!.n;
  }

  async function setting(name: string, value: string): Promise<void> {
    await db.query('UPDATE ecliptix_internal.settings SET value = $2 WHERE name = $1', [name, value]);
  }

  // Relies on INSERT … ON CONFLICT on ux_app_devices_device_id_active (mutant register-device-no-on-conflict).
  it('32 parallel register_app_device_if_not_exists of one device_id create exactly one row', async () => {
    for (const round of rounds) {
      const deviceId = randomUUID();
      const results = await Promise.all(Array.from({ length: 32 }, () => retrying(() => registerDevice(db, deviceId))));

      expect(tally(results), `round ${round}`).toEqual({ created: 1, exists: 31 });
      expect(new Set(results.map((r) => r.app_device_id)).size).toBe(1);
      expect(await count('SELECT 1 FROM ecliptix.app_devices WHERE device_id = $1', [deviceId])).toBe(1);
    }
  });

  // Relies on the phone's limit guard (mutants no-limit-guards, guards-as-advisory-locks).
  it('64 parallel initiate_verification_flow for one phone (64 devices) create exactly max_flows_per_phone_per_hour = 30 flows', async () => {
    const devices: string[] = [];
    for (let i = 0; i < 64; i++) devices.push((await registerDevice(db)).app_device_id);
    for (const round of rounds) {
      const phoneUid = (await ensurePhone(db, `+1202555010${round}`)).phone_unique_id;

      const results = await Promise.all(devices.map((device) => retrying(() => initiateFlow(db, device, phoneUid, 'registration'))));

      expect(tally(results), `round ${round}`).toEqual({ created: 30, rate_limit_exceeded: 34 });
      expect(new Set(results.filter((r) => r.outcome === 'created').map((r) => r.flow_unique_id)).size).toBe(30);
      expect(
        await count(
          'SELECT 1 FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id WHERE p.unique_id = $1',
          [phoneUid],
        ),
      ).toBe(30);
    }
  });

  // Relies on the phone's limit guard (mutant no-limit-guards): since V017 no unique index holds "one pending flow
  // per (device, phone, purpose)" (it made verifying a flow a non-HOT update); initiate_verification_flow looks for
  // the pending flow after taking the guard.
  it('32 parallel initiate_verification_flow of one (device, phone, purpose) create exactly one pending flow', async () => {
    const deviceUid = (await registerDevice(db)).app_device_id;
    for (const round of rounds) {
      const phoneUid = (await ensurePhone(db, `+1202555110${round}`, null, deviceUid)).phone_unique_id;

      const results = await Promise.all(
        Array.from({ length: 32 }, () => retrying(() => initiateFlow(db, deviceUid, phoneUid, 'registration'))),
      );

      expect(tally(results), `round ${round}`).toEqual({ created: 1, retrieved: 31 });
      expect(new Set(results.map((r) => r.flow_unique_id)).size).toBe(1);
      expect(
        await count(
          `SELECT 1 FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id
            WHERE p.unique_id = $1 AND f.status = 'pending' AND NOT f.is_deleted`,
          [phoneUid],
        ),
      ).toBe(1);
    }
  });

  // Relies on the flow row lock, FOR UPDATE (mutant insert-otp-no-flow-lock).
  it('20 parallel insert_otp_record on one flow (no cooldown) never exceed max_otps_per_flow = 5', async () => {
    await setting('otp_resend_cooldown', '0 seconds');
    const deviceUid = (await registerDevice(db)).app_device_id;
    for (const round of rounds) {
      const phoneUid = (await ensurePhone(db, `+1202555020${round}`, null, deviceUid)).phone_unique_id;
      const flow = await initiateFlow(db, deviceUid, phoneUid, 'registration');
      expect(flow.outcome).toBe('created');
      const flowUid = flow.flow_unique_id!;

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => retrying(() => insertOtp(db, flowUid, `hash-${i}`, `salt-${i}`))),
      );

      // The 6th call refuses and fails the flow; later calls find a failed (not pending) flow.
      expect(tally(results), `round ${round}`).toEqual({ created: 5, max_otps_reached: 1, flow_not_pending: 14 });
      expect(await count('SELECT 1 FROM ecliptix.otp_records WHERE flow_unique_id = $1', [flowUid])).toBe(5);
      expect(await count('SELECT 1 FROM ecliptix.otp_records WHERE flow_unique_id = $1 AND is_active', [flowUid])).toBe(1);
      const { rows } = await db.query<{ otp_count: number; status: string }>(
        'SELECT otp_count, status FROM ecliptix.verification_flows WHERE unique_id = $1',
        [flowUid],
      );
      expect(rows[0]).toEqual({ otp_count: 5, status: 'failed' });
    }
  });

  // Relies on the cooldown check inside insert_otp_record, under the flow lock (mutant insert-otp-no-cooldown).
  it('20 parallel issueOtp on one flow through the client issue exactly one code within the cooldown', async () => {
    const client = createMembershipsClient({ db, secrets: { otpKeys: generateKeyring('otp'), dataKeys: generateKeyring('data') } });
    const deviceUid = (await registerDevice(db)).app_device_id;
    for (const round of rounds) {
      const phoneUid = (await ensurePhone(db, `+1202555030${round}`, null, deviceUid)).phone_unique_id;
      const flow = await initiateFlow(db, deviceUid, phoneUid, 'registration');
      const flowUid = flow.flow_unique_id!;

      const results = await Promise.all(Array.from({ length: 20 }, () => client.issueOtp(flowUid)));

      expect(tally(results), `round ${round}`).toEqual({ issued: 1, resend_cooldown_active: 19 });
      for (const result of results) if (result.outcome === 'resend_cooldown_active') expect(result.retryAfterMs).toBeGreaterThan(25_000);
      expect(await count('SELECT 1 FROM ecliptix.otp_records WHERE flow_unique_id = $1', [flowUid])).toBe(1);
    }
  });

  // Relies on the phone's limit guard in update_otp_status (mutant no-limit-guards).
  it('30 parallel failed OTP checks on 6 flows of one phone record exactly max_failed_otp_checks_per_phone = 15', async () => {
    for (const round of rounds) {
      const phone = `+1202555040${round}`;
      const otps: string[] = [];
      let phoneUid = '';
      for (let i = 0; i < 6; i++) {
        const deviceUid = (await registerDevice(db)).app_device_id;
        phoneUid = (await ensurePhone(db, phone, null, deviceUid)).phone_unique_id;
        const flow = await initiateFlow(db, deviceUid, phoneUid, 'registration');
        otps.push((await insertOtp(db, flow.flow_unique_id!)).otp_unique_id!);
      }
      const checks = otps.flatMap((otp) => Array.from({ length: 5 }, () => otp));

      const results = await Promise.all(checks.map((otp) => retrying(() => updateOtpStatus(db, otp, 'failed'))));

      const recorded = results.filter((r) => r.outcome === 'updated' || r.outcome === 'max_failed_checks_reached');
      expect(recorded, `round ${round}: ${JSON.stringify(tally(results))}`).toHaveLength(15);
      expect(results.filter((r) => r.outcome === 'too_many_failed_checks').length).toBeGreaterThan(0);
      expect(
        await count(
          'SELECT 1 FROM ecliptix.failed_otp_attempts a JOIN ecliptix.phone_numbers p ON p.id = a.phone_number_id WHERE p.unique_id = $1',
          [phoneUid],
        ),
      ).toBe(15);
    }
  });

  // Relies on the number's login guard (mutants no-limit-guards, guards-as-advisory-locks).
  describe.each([
    { case: 'an unknown number', failure: 'phone_number_not_found', setup: async (_db: Database, _phone: string) => undefined },
    {
      case: 'a phone whose membership has no secure key',
      failure: 'secure_key_not_set',
      setup: async (setupDb: Database, phone: string) => {
        const flow = await verifiedRegistrationFlow(setupDb, phone);
        expect((await createMembership(setupDb, flow.flowUid, null, flow.otpUid)).outcome).toBe('created');
      },
    },
  ])('20 parallel failed login_membership on $case', ({ failure, setup }) => {
    it('let exactly max_failed_logins = 5 failures through, then lock (one lockout row, no row per locked call)', async () => {
      for (const round of rounds) {
        const phone = `+1202555050${round}`;
        await setup(db, phone);

        const results = await Promise.all(Array.from({ length: 20 }, () => retrying(() => call(db, 'login_membership', [phone]))));

        expect(tally(results as { outcome: string }[]), `round ${round}`).toEqual({ [failure]: 5, locked: 15 });
        expect(results.filter((r) => r.outcome === failure && r.retry_after_seconds !== null)).toHaveLength(1);
        expect(await count('SELECT 1 FROM ecliptix.login_attempts WHERE phone_number = $1', [phone])).toBe(5);
        const lockouts = await db.query<{ lockout_number: number; calls_while_locked: number }>(
          'SELECT lockout_number, calls_while_locked FROM ecliptix.login_attempts WHERE phone_number = $1 AND locked_until IS NOT NULL',
          [phone],
        );
        expect(lockouts.rows).toEqual([{ lockout_number: 1, calls_while_locked: 15 }]);
      }
    });
  });

  // Relies on the number's login guard: releases are counted under it (mutant no-limit-guards).
  it('20 parallel login_membership of a member release the key exactly max_key_releases_per_window = 10 times', async () => {
    for (const round of rounds) {
      const phone = `+1202555060${round}`;
      const flow = await verifiedRegistrationFlow(db, phone);
      const membership = await createMembership(db, flow.flowUid, null, flow.otpUid);
      await call(db, 'update_membership_secure_key', [membership.membership_unique_id, Buffer.from('key'), flow.flowUid]);

      const results = await Promise.all(Array.from({ length: 20 }, () => retrying(() => call(db, 'login_membership', [phone]))));

      // 10 releases; then each refusal is a failure: the 5th starts a lockout, the rest are locked.
      expect(tally(results as { outcome: string }[]), `round ${round}`).toEqual({ success: 10, too_many_key_releases: 5, locked: 5 });
      expect(await count("SELECT 1 FROM ecliptix.login_attempts WHERE phone_number = $1 AND outcome = 'key_released'", [phone])).toBe(10);
    }
  });

  // Relies on the phone's limit guard or the flow row lock; either alone serialises one flow (mutant create-membership-no-locks).
  it('16 parallel create_membership for one verified flow create exactly one membership', async () => {
    await setting('max_failed_membership_attempts', '100');
    for (const round of rounds) {
      const flow = await verifiedRegistrationFlow(db, `+1202555070${round}`, 42);

      const results = await Promise.all(
        Array.from({ length: 16 }, () => retrying(() => createMembership(db, flow.flowUid, 42, flow.otpUid))),
      );

      expect(tally(results), `round ${round}`).toEqual({ created: 1, membership_already_exists: 15 });
      expect(await count('SELECT 1 FROM ecliptix.memberships WHERE phone_number_id = $1', [flow.phoneUid])).toBe(1);
      expect(await count('SELECT 1 FROM ecliptix.membership_attempts WHERE phone_number_id = $1 AND is_success', [flow.phoneUid])).toBe(1);
    }
  });

  // Relies on the phone's limit guard: the flows differ (mutants no-limit-guards, guards-as-advisory-locks).
  it('16 parallel create_membership on 16 flows of one phone let exactly max_failed_membership_attempts = 5 failures through', async () => {
    for (const round of rounds) {
      const phone = `+1202555080${round}`;
      const flows = [];
      for (let i = 0; i < 16; i++) flows.push(await verifiedRegistrationFlow(db, phone, 7));
      const phoneUid = flows[0]!.phoneUid;
      expect(new Set(flows.map((f) => f.phoneUid))).toEqual(new Set([phoneUid]));

      // Wrong connection id: each call is a logged failure until the limit refuses.
      const results = await Promise.all(flows.map((f) => retrying(() => createMembership(db, f.flowUid, 8, f.otpUid))));

      expect(tally(results), `round ${round}`).toEqual({ connection_mismatch: 5, rate_limit_exceeded: 11 });
      expect(await count('SELECT 1 FROM ecliptix.membership_attempts WHERE phone_number_id = $1 AND NOT is_success', [phoneUid])).toBe(5);
    }
  });

  // Relies on INSERT … ON CONFLICT for the phone (mutant ensure-phone-no-on-conflict).
  it('32 parallel ensure_phone_number of one new number, each with another region and device, create one phone and exactly one primary link', async () => {
    const devices: string[] = [];
    for (let i = 0; i < 32; i++) devices.push((await registerDevice(db)).app_device_id);
    const regions = ['US', 'GB', 'CA', 'DE', null, '001', 'FR', 'JP'];
    for (const round of rounds) {
      const phone = `+1202555090${round}`;

      const results = await Promise.all(
        devices.map((device, i) => retrying(() => ensurePhone(db, phone, regions[i % regions.length]!, device))),
      );

      expect(tally(results), `round ${round}`).toEqual({ created_and_associated: 1, associated: 31 });
      expect(new Set(results.map((r) => r.phone_unique_id)).size).toBe(1);
      expect(await count('SELECT 1 FROM ecliptix.phone_numbers WHERE phone_number = $1', [phone])).toBe(1);
      const phoneUid = results[0]!.phone_unique_id;
      expect(await count('SELECT 1 FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 AND NOT is_deleted', [phoneUid])).toBe(32);
      expect(
        await count('SELECT 1 FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 AND is_primary AND NOT is_deleted', [phoneUid]),
      ).toBe(1);
    }
  });

  // Relies on the phone's limit guard around the primary decision (mutant no-limit-guards).
  it('32 parallel ensure_phone_number of one existing, unlinked number with 32 devices make exactly one link primary', async () => {
    const devices: string[] = [];
    for (let i = 0; i < 32; i++) devices.push((await registerDevice(db)).app_device_id);
    for (const round of rounds) {
      const phone = `+1202555100${round}`;
      const phoneUid = (await ensurePhone(db, phone)).phone_unique_id;

      const results = await Promise.all(devices.map((device) => retrying(() => ensurePhone(db, phone, null, device))));

      expect(tally(results), `round ${round}`).toEqual({ associated: 32 });
      expect(await count('SELECT 1 FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 AND NOT is_deleted', [phoneUid])).toBe(32);
      expect(
        await count('SELECT 1 FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 AND is_primary AND NOT is_deleted', [phoneUid]),
      ).toBe(1);
    }
  });
});
