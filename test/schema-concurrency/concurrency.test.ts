/**
 * Race-freedom of the ecliptix procedures on a real PostgreSQL server: many
 * connections call one procedure for the same device / phone / flow at the
 * same moment, and every limit and uniqueness rule must still hold.
 *
 * PostgreSQL only: PGlite is a single connection, so it cannot race.
 *
 * Every race runs ROUNDS times on fresh keys: the first round meets cold
 * connections, whose first call of a PL/pgSQL function spends most of its
 * time planning, which spreads the calls out and can hide a race; the later
 * rounds run on warm connections, where the calls really overlap.
 *
 * Each test relies on one lock of the SQL (README "Race-free limits"). To
 * check that a test really depends on it, run it against a copy of the
 * procedure without that lock (applied to the test database only):
 *   SCHEMA_CONCURRENCY_MUTANT=initiate-flow-no-phone-lock npx vitest run test/schema-concurrency/concurrency.test.ts
 * (names in lockMutants, procedures.ts); the tests relying on it must fail.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import {
  applyRequestedMutant,
  createMembership,
  ensurePhone,
  initiateFlow,
  insertOtp,
  login,
  registerDevice,
  tally,
  verifiedRegistrationFlow,
  warmUp,
} from './procedures.js';

const POOL = 40;
const ROUNDS = 3;
const rounds = Array.from({ length: ROUNDS }, (_, i) => i);

describe('ecliptix procedures under concurrent calls (postgres)', () => {
  let target: TestDatabase;
  let db: Database;

  beforeEach(async () => {
    target = await createTestDatabase('postgres', { withSchema: true });
    db = await target.open({ maxConnections: POOL });
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

  // Relies on INSERT … ON CONFLICT on ux_app_devices_device_id_active (mutant register-device-no-on-conflict).
  it('32 parallel register_app_device_if_not_exists of one device_id create exactly one row', async () => {
    for (const round of rounds) {
      const deviceId = randomUUID();
      const results = await Promise.all(Array.from({ length: 32 }, () => registerDevice(db, deviceId)));

      expect(tally(results), `round ${round}`).toEqual({ created: 1, exists: 31 });
      expect(new Set(results.map((r) => r.unique_id)).size).toBe(1);
      expect(results.find((r) => r.outcome === 'created')!.status).toBe(2);
      expect(results.filter((r) => r.outcome === 'exists').every((r) => r.status === 1)).toBe(true);
      expect(await count('SELECT 1 FROM ecliptix.app_devices WHERE device_id = $1', [deviceId])).toBe(1);
    }
  });

  // Relies on the phone row lock, FOR UPDATE (mutant initiate-flow-no-phone-lock).
  it('64 parallel initiate_verification_flow for one phone (64 devices) create exactly max_flows_per_phone_per_hour = 30 flows', async () => {
    const devices: string[] = [];
    for (let i = 0; i < 64; i++) devices.push((await registerDevice(db)).unique_id);
    for (const round of rounds) {
      const phoneUid = (await ensurePhone(db, `+1555010010${round}`)).unique_id;

      const results = await Promise.all(devices.map((device) => initiateFlow(db, device, phoneUid, 'registration')));

      expect(tally(results), `round ${round}`).toEqual({ created: 30, global_rate_limit_exceeded: 34 });
      expect(new Set(results.filter((r) => r.outcome === 'created').map((r) => r.flow_unique_id)).size).toBe(30);
      expect(
        await count('SELECT 1 FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id WHERE p.unique_id = $1', [phoneUid]),
      ).toBe(30);
    }
  });

  // Relies on the flow row lock, FOR UPDATE (mutant insert-otp-no-flow-lock).
  it('20 parallel insert_otp_record on one flow never exceed max_otps_per_flow = 5', async () => {
    const deviceUid = (await registerDevice(db)).unique_id;
    for (const round of rounds) {
      const phoneUid = (await ensurePhone(db, `+1555010020${round}`, null, deviceUid)).unique_id;
      const flow = await initiateFlow(db, deviceUid, phoneUid, 'registration');
      expect(flow.outcome).toBe('created');
      const flowUid = flow.flow_unique_id!;

      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => insertOtp(db, flowUid, `hash-${i}`, `salt-${i}`)));

      // The 6th call refuses and fails the flow; later calls find a failed (not pending) flow.
      expect(tally(results), `round ${round}`).toEqual({ created: 5, max_otp_attempts_reached: 1, flow_not_found_or_invalid: 14 });
      expect(await count('SELECT 1 FROM ecliptix.otp_records WHERE flow_unique_id = $1', [flowUid])).toBe(5);
      expect(await count('SELECT 1 FROM ecliptix.otp_records WHERE flow_unique_id = $1 AND is_active', [flowUid])).toBe(1);
      const { rows } = await db.query<{ otp_count: number; status: string }>(
        'SELECT otp_count, status FROM ecliptix.verification_flows WHERE unique_id = $1',
        [flowUid],
      );
      expect(rows[0]).toEqual({ otp_count: 5, status: 'failed' });
    }
  });

  // Relies on the per-phone pg_advisory_xact_lock of the login path (mutant login-no-advisory-lock).
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
    it('let exactly max_failed_logins = 5 failures through, then lock (one lockout row)', async () => {
      for (const round of rounds) {
        const phone = `+1555010030${round}`;
        await setup(db, phone);

        const results = await Promise.all(Array.from({ length: 20 }, () => login(db, phone)));

        expect(tally(results), `round ${round}`).toEqual({ [failure]: 5, locked: 15 });
        // Exactly one of the five failures started the lockout and says so.
        expect(results.filter((r) => r.outcome === failure && r.retry_after_seconds !== null)).toHaveLength(1);
        expect(await count("SELECT 1 FROM ecliptix.login_attempts WHERE phone_number = $1 AND outcome <> 'locked' AND NOT is_success", [phone])).toBe(5);
        expect(await count("SELECT 1 FROM ecliptix.login_attempts WHERE phone_number = $1 AND outcome = 'locked'", [phone])).toBe(15);
        const lockouts = await db.query<{ lockout_number: number }>(
          'SELECT lockout_number FROM ecliptix.login_attempts WHERE phone_number = $1 AND locked_until IS NOT NULL',
          [phone],
        );
        expect(lockouts.rows).toEqual([{ lockout_number: 1 }]);
      }
    });
  });

  // Relies on the phone or the flow row lock, FOR UPDATE; either alone serialises one flow (mutant create-membership-no-locks).
  it('16 parallel create_membership for one verified flow create exactly one membership', async () => {
    // Raise the failed-attempt limit so that every loser answers membership_already_exists
    // (with the default 5, the 6th failure would be rate-limited; see the next test).
    await db.query("UPDATE ecliptix_internal.settings SET value = '100' WHERE name = 'max_failed_membership_attempts'");
    for (const round of rounds) {
      const flow = await verifiedRegistrationFlow(db, `+1555010040${round}`, 42);

      const results = await Promise.all(Array.from({ length: 16 }, () => createMembership(db, flow.flowUid, 42, flow.otpUid)));

      expect(tally(results), `round ${round}`).toEqual({ created: 1, membership_already_exists: 15 });
      expect(new Set(results.map((r) => r.membership_unique_id)).size).toBe(1);
      expect(await count('SELECT 1 FROM ecliptix.memberships WHERE phone_number_id = $1', [flow.phoneUid])).toBe(1);
      expect(await count('SELECT 1 FROM ecliptix.membership_attempts WHERE phone_number_id = $1 AND is_success', [flow.phoneUid])).toBe(1);
      expect(
        await count("SELECT 1 FROM ecliptix.membership_attempts WHERE phone_number_id = $1 AND outcome = 'membership_already_exists'", [flow.phoneUid]),
      ).toBe(15);
    }
  });

  // Relies on the phone row lock, FOR UPDATE: the flows differ (mutant create-membership-no-phone-lock).
  it('16 parallel create_membership on 16 flows of one phone let exactly max_failed_membership_attempts = 5 failures through', async () => {
    for (const round of rounds) {
      const phone = `+1555010050${round}`;
      const flows = [];
      for (let i = 0; i < 16; i++) flows.push(await verifiedRegistrationFlow(db, phone, 7));
      const phoneUid = flows[0]!.phoneUid;
      expect(new Set(flows.map((f) => f.phoneUid))).toEqual(new Set([phoneUid]));

      // Wrong connection id: each call is a logged failure until the limit refuses.
      const results = await Promise.all(flows.map((f) => createMembership(db, f.flowUid, 8, f.otpUid)));

      expect(tally(results), `round ${round}`).toEqual({ connection_mismatch: 5, rate_limit_exceeded: 11 });
      expect(await count('SELECT 1 FROM ecliptix.membership_attempts WHERE phone_number_id = $1 AND NOT is_success', [phoneUid])).toBe(5);
      expect(await count('SELECT 1 FROM ecliptix.memberships WHERE phone_number_id = $1', [phoneUid])).toBe(0);
    }
  });

  // Relies on INSERT … ON CONFLICT for the phone, which also makes the later callers wait for the
  // creator's commit, primary link included (mutant ensure-phone-no-on-conflict).
  it('32 parallel ensure_phone_number of one new number with 32 devices create one phone and exactly one primary link', async () => {
    const devices: string[] = [];
    for (let i = 0; i < 32; i++) devices.push((await registerDevice(db)).unique_id);
    for (const round of rounds) {
      const phone = `+1555010060${round}`;

      const results = await Promise.all(devices.map((device) => ensurePhone(db, phone, 'US', device)));

      expect(tally(results), `round ${round}`).toEqual({ created_and_associated: 1, associated: 31 });
      expect(results.every((r) => r.success)).toBe(true);
      expect(new Set(results.map((r) => r.unique_id)).size).toBe(1);
      expect(await count('SELECT 1 FROM ecliptix.phone_numbers WHERE phone_number = $1', [phone])).toBe(1);
      const phoneUid = results[0]!.unique_id;
      expect(await count('SELECT 1 FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 AND NOT is_deleted', [phoneUid])).toBe(32);
      expect(await count('SELECT 1 FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 AND is_primary AND NOT is_deleted', [phoneUid])).toBe(1);
    }
  });

  // Relies on the phone row lock, FOR UPDATE, around the primary decision (mutant ensure-phone-no-row-lock).
  it('32 parallel ensure_phone_number of one existing, unlinked number with 32 devices make exactly one link primary', async () => {
    const devices: string[] = [];
    for (let i = 0; i < 32; i++) devices.push((await registerDevice(db)).unique_id);
    for (const round of rounds) {
      const phone = `+1555010070${round}`;
      const phoneUid = (await ensurePhone(db, phone)).unique_id;

      const results = await Promise.all(devices.map((device) => ensurePhone(db, phone, null, device)));

      expect(tally(results), `round ${round}`).toEqual({ associated: 32 });
      expect(await count('SELECT 1 FROM ecliptix.phone_numbers WHERE phone_number = $1', [phone])).toBe(1);
      expect(await count('SELECT 1 FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 AND NOT is_deleted', [phoneUid])).toBe(32);
      expect(await count('SELECT 1 FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 AND is_primary AND NOT is_deleted', [phoneUid])).toBe(1);
    }
  });
});
