/**
 * The attacker suite (issue 10): each bypass of a limit that an attacker
 * found, written as the attack — plain SQL as the application role, and
 * through the memberships client where the client is a path — asserting that
 * it now fails. On both engines (the races on the server only: PGlite has one
 * connection).
 *
 * To see each test catch its hole, run the suite against the routines as
 * they were before the fixes (a git revision; server only):
 *   ATTACKS_AGAINST_REVISION=f003710 npx vitest run test/security/attacks.test.ts
 * Every test must then fail (the secrets-on-disk, rotation and migration
 * bypasses have their own suites: secrets-at-rest, rotate-keys,
 * grants-during-migrate).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMembershipsClient, type MembershipsClient } from '../../src/client/memberships-client.js';
import { generateKeyring } from '../../src/client/keyring.js';
import type { Database, Engine, Queryable } from '../../src/db/database.js';
import { setUpAppRole, type AppRole } from '../support/app-role.js';
import { advanceClock } from '../support/clock.js';
import { migrateAsAt } from '../support/old-migrations.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { sqlState } from '../support/sql-state.js';
import { nextUsPhone, wrongCode } from '../client/client-harness.js';

type Row = Record<string, unknown>;

const oldRevision = process.env.ATTACKS_AGAINST_REVISION;

async function attackDatabase(engine: Engine): Promise<TestDatabase> {
  if (!oldRevision) return createTestDatabase(engine, { withSchema: true });
  const target = await createTestDatabase(engine);
  const db = await target.open();
  try {
    await migrateAsAt(db, oldRevision);
  } finally {
    await db.close();
  }
  return target;
}

async function call(db: Queryable, name: string, args: readonly unknown[]): Promise<Row> {
  const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
  const { rows } = await db.query<Row>(`SELECT * FROM ecliptix.${name}(${placeholders})`, args);
  return rows[0]!;
}

const outcomes = (rows: Row[]) => rows.map((r) => r.outcome);

/**
 * A routine's identifier column by its name (migrations/README.md, "Naming convention"); routines of
 * an older ATTACKS_AGAINST_REVISION returned the same identifier as unique_id.
 */
function idOf(row: Row, column: 'app_device_id' | 'phone_unique_id'): string {
  return (row[column] ?? row.unique_id) as string;
}

const enginesUnderAttack: readonly Engine[] = oldRevision ? ['postgres'] : engines;

describe.each(enginesUnderAttack)('attacks on the limits on %s', (engine) => {
  let target: TestDatabase;
  let admin: Database;
  let role: AppRole;
  const secrets = { otpKeys: generateKeyring('otp'), dataKeys: generateKeyring('data') };

  beforeEach(async () => {
    target = await attackDatabase(engine);
    admin = await target.open();
    role = await setUpAppRole(target, admin);
  });
  afterEach(async () => {
    await admin?.close();
    await target?.drop();
    await role?.drop();
  });

  async function adminCount(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await role.asAdmin(() => admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params));
    return rows[0]!.n;
  }

  /** Admin statements, also from inside role.as (see AppRole.asAdmin). */
  function adminQuery<T = Row>(sql: string, params: unknown[] = []) {
    return role.asAdmin(() => admin.query<T>(sql, params));
  }

  const moveClock = (seconds: number) => role.asAdmin(() => advanceClock(admin, seconds));

  async function device(db: Queryable): Promise<string> {
    return idOf(await call(db, 'register_app_device_if_not_exists', [randomUUID(), randomUUID(), 1]), 'app_device_id');
  }

  /** A registration flow of `phone` on a new device, verified through its OTP (plain SQL). */
  async function verifiedFlow(
    db: Queryable,
    phone: string,
  ): Promise<{ deviceUid: string; phoneUid: string; flowUid: string; otpUid: string }> {
    const deviceUid = await device(db);
    const phoneUid = idOf(await call(db, 'ensure_phone_number', [phone, null, deviceUid]), 'phone_unique_id');
    const flowUid = (await call(db, 'initiate_verification_flow', [deviceUid, phoneUid, 'registration', null])).flow_unique_id as string;
    const { rows } = await db.query<Row>(
      "SELECT * FROM ecliptix.insert_otp_record($1, 'h', 's', ecliptix_internal.now() + interval '5 minutes')",
      [flowUid],
    );
    const otpUid = rows[0]!.otp_unique_id as string;
    expect((await call(db, 'update_otp_status', [otpUid, 'verified'])).outcome).toBe('updated');
    return { deviceUid, phoneUid, flowUid, otpUid };
  }

  /** A member signed up through the client: membership with its secure key. */
  async function signUp(client: MembershipsClient): Promise<{ phoneNumber: string; flowId: string; membershipId: string; key: Buffer }> {
    const phoneNumber = nextUsPhone();
    const deviceId = (await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() })).deviceId;
    const phone = await client.ensurePhoneNumber({ phoneNumber, appDeviceId: deviceId });
    if (!('phoneId' in phone)) throw new Error(phone.outcome);
    const flow = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId: phone.phoneId, purpose: 'registration' });
    if (flow.outcome !== 'created') throw new Error(flow.outcome);
    const otp = await client.issueOtp(flow.flow.flowId);
    if (otp.outcome !== 'issued') throw new Error(otp.outcome);
    expect((await client.verifyOtp(flow.flow.flowId, otp.code)).outcome).toBe('verified');
    const membership = await client.createMembership({ flowId: flow.flow.flowId, otpId: otp.otpId });
    if (membership.outcome !== 'created') throw new Error(membership.outcome);
    const key = randomBytes(32);
    expect((await client.setSecureKey({ membershipId: membership.membershipId, flowId: flow.flow.flowId, secureKey: key })).outcome).toBe(
      'updated',
    );
    return { phoneNumber, flowId: flow.flow.flowId, membershipId: membership.membershipId, key };
  }

  it('1. one number, many identities: every region spelling is the same phone, with one budget', async () => {
    const phone = '+12025550123';
    await role.as(async (db) => {
      const regions = ['US', 'GB', 'CA', null, 'FR', 'DE'];
      const phoneIds: string[] = [];
      const results: Row[] = [];
      for (let i = 0; i < 31; i++) {
        const deviceUid = await device(db);
        const phoneUid = idOf(await call(db, 'ensure_phone_number', [phone, regions[i % regions.length], deviceUid]), 'phone_unique_id');
        phoneIds.push(phoneUid);
        results.push(await call(db, 'initiate_verification_flow', [deviceUid, phoneUid, 'registration', null]));
      }
      expect(new Set(phoneIds).size).toBe(1);
      expect(outcomes(results).filter((o) => o === 'created')).toHaveLength(30);
      expect(results[30]!.outcome).toBe('rate_limit_exceeded');
      expect(await sqlState(call(db, 'ensure_phone_number', [phone, 'ZZ', null]))).toBe('22023');
    });
    expect(await adminCount('SELECT 1 FROM ecliptix.phone_numbers WHERE phone_number = $1', [phone])).toBe(1);

    // Through the client: a caller's region never makes a second identity, for a non-geographic number either.
    await role.as(async (db) => {
      const client = createMembershipsClient({ db, secrets });
      const asUs = await client.ensurePhoneNumber({ phoneNumber: '+80012345678', region: 'US' });
      const asGb = await client.ensurePhoneNumber({ phoneNumber: '+80012345678', region: 'GB' });
      expect(asUs.outcome).toBe('created');
      expect(asGb.outcome).toBe('exists');
      expect('phoneId' in asGb && 'phoneId' in asUs && asGb.phoneId === asUs.phoneId).toBe(true);
      expect(asGb.phone.region).toBe('001');
    });
    expect(await adminCount("SELECT 1 FROM ecliptix.phone_numbers WHERE phone_number = '+80012345678' AND region = '001'")).toBe(1);
  });

  it.runIf(engine === 'postgres')(
    '2. isolation: a caller whose REPEATABLE READ snapshot predates a lockout or a full budget gets 40001, not the key or a 31st flow',
    async () => {
      const member = { phoneNumber: nextUsPhone() };
      await role.as(async (db) => {
        const flow = await verifiedFlow(db, member.phoneNumber);
        expect((await call(db, 'create_membership', [flow.flowUid, null, flow.otpUid, 'otp_verified'])).outcome).toBe('created');
      });
      const stale = new pg.Client({ connectionString: role.loginUrl });
      stale.on('error', () => undefined);
      await stale.connect();
      try {
        await stale.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await stale.query('SELECT 1'); // the snapshot is taken here
        await role.as(async (db) => {
          for (let i = 0; i < 5; i++) await call(db, 'log_login_attempt', [member.phoneNumber, 'wrong_passphrase', false]);
        });
        expect(await sqlState(stale.query('SELECT * FROM ecliptix.login_membership($1)', [member.phoneNumber]))).toBe('40001');
        await stale.query('ROLLBACK');
        expect((await stale.query('SELECT outcome FROM ecliptix.login_membership($1)', [member.phoneNumber])).rows[0].outcome).toBe(
          'locked',
        );

        // The flow budget likewise.
        const phone = nextUsPhone();
        const phoneUid = await role.as(async (db) => idOf(await call(db, 'ensure_phone_number', [phone, null, null]), 'phone_unique_id'));
        const deviceUid = await role.as(device);
        await stale.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await stale.query('SELECT 1');
        await role.as(async (db) => {
          for (let i = 0; i < 30; i++)
            expect((await call(db, 'initiate_verification_flow', [await device(db), phoneUid, 'registration', null])).outcome).toBe(
              'created',
            );
        });
        expect(
          await sqlState(
            stale.query("SELECT * FROM ecliptix.initiate_verification_flow($1, $2, 'registration', NULL)", [deviceUid, phoneUid]),
          ),
        ).toBe('40001');
        await stale.query('ROLLBACK');
      } finally {
        await stale.end();
      }
      expect(
        await adminCount(
          'SELECT 1 FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id WHERE p.phone_number = $1',
          [member.phoneNumber],
        ),
      ).toBe(1);
    },
  );

  it('3. a secure key cannot be replaced by someone who knows only the phone number', async () => {
    const victimPhone = nextUsPhone();
    const victim = await role.as((db) => verifiedFlow(db, victimPhone));
    const membershipId = await role.as(
      async (db) =>
        (await call(db, 'create_membership', [victim.flowUid, null, victim.otpUid, 'otp_verified'])).membership_unique_id as string,
    );

    await role.as(async (db) => {
      // The attacker asks to sign in: the refusal names no membership.
      const refusal = await call(db, 'login_membership', [victimPhone]);
      expect(refusal).toMatchObject({ outcome: 'secure_key_not_set', membership_unique_id: null, status: null });
      // Given the id anyway (say, leaked): the original call, without proof, no longer exists...
      expect(
        await sqlState(
          db.query('SELECT * FROM ecliptix.update_membership_secure_key($1::uuid, $2::bytea)', [membershipId, Buffer.from('attacker')]),
        ),
      ).toBe('42883');
      // ...a made-up flow, or the attacker's own verified flow of another number, is no proof.
      expect((await call(db, 'update_membership_secure_key', [membershipId, Buffer.from('attacker'), randomUUID()])).outcome).toBe(
        'invalid_proof',
      );
      const own = await verifiedFlow(db, nextUsPhone());
      expect((await call(db, 'update_membership_secure_key', [membershipId, Buffer.from('attacker'), own.flowUid])).outcome).toBe(
        'invalid_proof',
      );
    });
    const { rows } = await admin.query<{ secure_key: Buffer | null; status: string }>(
      'SELECT secure_key, status FROM ecliptix.memberships WHERE unique_id = $1',
      [membershipId],
    );
    expect(rows[0]).toEqual({ secure_key: null, status: 'active' });

    await role.as(async (db) => {
      // The victim's own proof sets the first key, once.
      expect((await call(db, 'update_membership_secure_key', [membershipId, Buffer.from('victim'), victim.flowUid])).outcome).toBe(
        'updated',
      );
      expect((await call(db, 'update_membership_secure_key', [membershipId, Buffer.from('attacker'), victim.flowUid])).outcome).toBe(
        'invalid_proof',
      );
    });
    // A key cannot re-activate an inactive membership, even with a valid proof.
    await admin.query("UPDATE ecliptix.memberships SET status = 'inactive' WHERE unique_id = $1", [membershipId]);
    await role.as(async (db) => {
      const recovery = await call(db, 'initiate_verification_flow', [victim.deviceUid, victim.phoneUid, 'password_recovery', null]);
      const { rows: otp } = await db.query<Row>(
        "SELECT * FROM ecliptix.insert_otp_record($1, 'h', 's', ecliptix_internal.now() + interval '5 minutes')",
        [recovery.flow_unique_id],
      );
      expect((await call(db, 'update_otp_status', [otp[0]!.otp_unique_id, 'verified'])).outcome).toBe('updated');
      expect((await call(db, 'update_membership_secure_key', [membershipId, Buffer.from('x'), recovery.flow_unique_id])).outcome).toBe(
        'membership_inactive',
      );
      expect((await call(db, 'login_membership', [victimPhone])).membership_unique_id).toBeNull();
    });
    const after = await admin.query<{ secure_key: Uint8Array | null; status: string }>(
      'SELECT secure_key, status FROM ecliptix.memberships WHERE unique_id = $1',
      [membershipId],
    );
    expect(Buffer.from(after.rows[0]!.secure_key!).toString()).toBe('victim');
    expect(after.rows[0]!.status).toBe('inactive');

    // Through the client.
    await role.as(async (db) => {
      const client = createMembershipsClient({ db, secrets });
      const member = await signUp(client);
      const other = await signUp(client);
      expect(
        (await client.setSecureKey({ membershipId: member.membershipId, flowId: other.flowId, secureKey: randomBytes(32) })).outcome,
      ).toBe('invalid_proof');
      expect(
        (await client.setSecureKey({ membershipId: member.membershipId, flowId: member.flowId, secureKey: randomBytes(32) })).outcome,
      ).toBe('invalid_proof');
      expect(await client.login(member.phoneNumber)).toMatchObject({ outcome: 'success', secureKey: member.key });
    });
  });

  it('4. releasing the key resets neither the lockout ladder nor the failure count; releases are limited', async () => {
    // A member with a key (set by the owner here, so that the attack runs on older routines too).
    const member = { phoneNumber: nextUsPhone() };
    const flow = await role.as((db) => verifiedFlow(db, member.phoneNumber));
    const created = await role.as((db) => call(db, 'create_membership', [flow.flowUid, null, flow.otpUid, 'otp_verified']));
    await admin.query("UPDATE ecliptix.memberships SET secure_key = '\\x01' WHERE unique_id = $1", [created.membership_unique_id]);
    await role.as(async (db) => {
      const ladder: number[] = [];
      for (let cycle = 0; cycle < 3; cycle++) {
        expect((await call(db, 'login_membership', [member.phoneNumber])).outcome).toBe('success'); // the key released, as the attacker wants
        for (let i = 0; i < 5; i++) await call(db, 'log_login_attempt', [member.phoneNumber, 'wrong_passphrase', false]);
        expect((await call(db, 'login_membership', [member.phoneNumber])).outcome).toBe('locked');
        const { rows } = await adminQuery<{ lockout_number: number; seconds: number }>(
          `SELECT lockout_number, extract(epoch FROM locked_until - attempted_at)::int AS seconds
             FROM ecliptix.login_attempts WHERE phone_number = $1 AND locked_until IS NOT NULL ORDER BY id DESC LIMIT 1`,
          [member.phoneNumber],
        );
        ladder.push(rows[0]!.lockout_number);
        await moveClock(rows[0]!.seconds + 1);
      }
      expect(ladder).toEqual([1, 2, 3]);
    });

    await role.as(async (db) => {
      const client = createMembershipsClient({ db, secrets });
      // A made-up success cannot reset it either: there is no release to confirm.
      const before = await adminCount('SELECT 1 FROM ecliptix.login_attempts WHERE phone_number = $1', [member.phoneNumber]);
      expect(await client.confirmLogin(member.phoneNumber)).toEqual({ outcome: 'key_release_not_found' });
      expect(await sqlState(call(db, 'log_login_attempt', [member.phoneNumber, 'key_released', false]))).toBe('22023');
      expect(await adminCount('SELECT 1 FROM ecliptix.login_attempts WHERE phone_number = $1', [member.phoneNumber])).toBe(before);

      // Releases themselves: 10 an hour without a confirmed sign-in.
      const other = await signUp(client);
      const releases = [];
      for (let i = 0; i < 11; i++) releases.push(await client.login(other.phoneNumber));
      expect(releases.slice(0, 10).every((r) => r.outcome === 'success')).toBe(true);
      expect(releases[10]).toMatchObject({ outcome: 'too_many_key_releases', publicOutcome: 'too_many_attempts' });
      // The application confirms a sign-in (the passphrase opened the key): releases are allowed again.
      expect(await client.confirmLogin(other.phoneNumber)).toEqual({ outcome: 'confirmed' });
      expect((await client.login(other.phoneNumber)).outcome).toBe('success');
    });
  });

  it('5. the resend cooldown holds for every code, the first included, on every path', async () => {
    await role.as(async (db) => {
      const flow = await call(db, 'initiate_verification_flow', [
        await device(db),
        idOf(await call(db, 'ensure_phone_number', [nextUsPhone(), null, null]), 'phone_unique_id'),
        'registration',
        null,
      ]);
      const insert = () =>
        db.query<Row>("SELECT * FROM ecliptix.insert_otp_record($1, 'h', 's', ecliptix_internal.now() + interval '5 minutes')", [
          flow.flow_unique_id,
        ]);
      expect((await insert()).rows[0]!.outcome).toBe('created');
      const second = (await insert()).rows[0]!;
      expect(second.outcome).toBe('resend_cooldown_active');
      expect(second.retry_after_seconds).toBeGreaterThan(25);
      await moveClock(31);
      expect((await insert()).rows[0]!.outcome).toBe('created');

      const client = createMembershipsClient({ db, secrets });
      const phone = await client.ensurePhoneNumber({ phoneNumber: nextUsPhone() });
      const started = await client.initiateVerificationFlow({
        appDeviceId: await device(db),
        phoneId: 'phoneId' in phone ? phone.phoneId : '',
        purpose: 'login',
      });
      if (started.outcome !== 'created') throw new Error(started.outcome);
      const issued = await Promise.all(Array.from({ length: 5 }, () => client.issueOtp(started.flow.flowId)));
      expect(issued.filter((r) => r.outcome === 'issued')).toHaveLength(1);
      expect(issued.filter((r) => r.outcome === 'resend_cooldown_active')).toHaveLength(4);
    });
  });

  it('OTP guessing is bounded per number across flows: 15 failed checks an hour, a 24-hour lock after 100 in a row', async () => {
    const phone = nextUsPhone();
    // Plain SQL: 3 flows, 5 wrong codes each, then a 16th check on a 4th flow.
    await role.as(async (db) => {
      const phoneUid = idOf(await call(db, 'ensure_phone_number', [phone, null, null]), 'phone_unique_id');
      const otpOfNewFlow = async () => {
        const flow = await call(db, 'initiate_verification_flow', [await device(db), phoneUid, 'registration', null]);
        return (
          await db.query<Row>("SELECT * FROM ecliptix.insert_otp_record($1, 'h', 's', ecliptix_internal.now() + interval '5 minutes')", [
            flow.flow_unique_id,
          ])
        ).rows[0]!.otp_unique_id;
      };
      for (let i = 0; i < 3; i++) {
        const otp = await otpOfNewFlow();
        for (let j = 0; j < 5; j++)
          expect(['updated', 'max_failed_checks_reached']).toContain((await call(db, 'update_otp_status', [otp, 'failed'])).outcome);
      }
      const fourth = await otpOfNewFlow();
      expect((await call(db, 'update_otp_status', [fourth, 'verified'])).outcome).toBe('too_many_failed_checks');
      expect((await call(db, 'update_otp_status', [fourth, 'failed'])).outcome).toBe('too_many_failed_checks');
    });
    expect(
      await adminCount(
        'SELECT 1 FROM ecliptix.failed_otp_attempts a JOIN ecliptix.otp_records o ON o.unique_id = a.otp_unique_id JOIN ecliptix.phone_numbers p ON p.id = o.phone_number_id WHERE p.phone_number = $1',
        [phone],
      ),
    ).toBe(15);

    // Through the client, on another number.
    const clientPhone = nextUsPhone();
    await role.as(async (db) => {
      const client = createMembershipsClient({ db, secrets });
      const phoneId = ((await client.ensurePhoneNumber({ phoneNumber: clientPhone })) as { phoneId: string }).phoneId;
      const startFlow = async () => {
        const flow = await client.initiateVerificationFlow({ appDeviceId: await device(db), phoneId, purpose: 'registration' });
        if (flow.outcome !== 'created') throw new Error(flow.outcome);
        const otp = await client.issueOtp(flow.flow.flowId);
        if (otp.outcome !== 'issued') throw new Error(otp.outcome);
        return { flowId: flow.flow.flowId, code: otp.code };
      };
      const results: string[] = [];
      for (let i = 0; i < 3; i++) {
        const flow = await startFlow();
        for (let j = 0; j < 5; j++) results.push((await client.verifyOtp(flow.flowId, wrongCode(flow.code))).outcome);
      }
      expect(results.filter((o) => o === 'invalid_code' || o === 'max_failed_checks_reached')).toHaveLength(15);
      // The 16th guess — even the right code — is refused, and says nothing about the code.
      const fourth = await startFlow();
      const right = await client.verifyOtp(fourth.flowId, fourth.code);
      const wrong = await client.verifyOtp(fourth.flowId, wrongCode(fourth.code));
      expect(right.outcome).toBe('too_many_failed_checks');
      expect(wrong.outcome).toBe(right.outcome);
      expect((await client.getFlowState(fourth.flowId))!.status).toBe('pending');
    });
    expect(
      await adminCount(
        'SELECT 1 FROM ecliptix.failed_otp_attempts a JOIN ecliptix.phone_numbers p ON p.id = a.phone_number_id WHERE p.phone_number = $1',
        [clientPhone],
      ),
    ).toBe(15);

    // 100 failures in a row (the hourly budget raised so that it does not stop them first): locked for 24 hours.
    await admin.query(
      "UPDATE ecliptix_internal.settings SET value = '1000' WHERE name IN ('max_failed_otp_checks_per_phone', 'max_flows_per_phone_per_hour')",
    );
    await role.as(async (db) => {
      const phoneUid = idOf(await call(db, 'ensure_phone_number', [phone, null, null]), 'phone_unique_id');
      let failures = 15;
      let refusal: Row | undefined;
      while (!refusal) {
        const flow = await call(db, 'initiate_verification_flow', [await device(db), phoneUid, 'registration', null]);
        const otp = (
          await db.query<Row>("SELECT * FROM ecliptix.insert_otp_record($1, 'h', 's', ecliptix_internal.now() + interval '5 minutes')", [
            flow.flow_unique_id,
          ])
        ).rows[0]!;
        for (let j = 0; j < 5 && !refusal; j++) {
          const result = await call(db, 'update_otp_status', [otp.otp_unique_id, 'failed']);
          if (result.outcome === 'too_many_failed_checks') refusal = result;
          else failures += 1;
        }
      }
      expect(failures).toBe(100);
      expect(refusal!.retry_after_seconds).toBeGreaterThan(23 * 3600);
      await moveClock(24 * 3600 + 1);
      const flow = await call(db, 'initiate_verification_flow', [await device(db), phoneUid, 'login', null]);
      const otp = (
        await db.query<Row>("SELECT * FROM ecliptix.insert_otp_record($1, 'h', 's', ecliptix_internal.now() + interval '5 minutes')", [
          flow.flow_unique_id,
        ])
      ).rows[0]!;
      expect((await call(db, 'update_otp_status', [otp.otp_unique_id, 'failed'])).outcome).toBe('updated'); // one guess, then locked again
      expect((await call(db, 'update_otp_status', [otp.otp_unique_id, 'verified'])).outcome).toBe('too_many_failed_checks');
    });
  });

  it('7. calls on a locked number add no rows', async () => {
    const phone = nextUsPhone();
    await role.as(async (db) => {
      for (let i = 0; i < 5; i++) expect((await call(db, 'login_membership', [phone])).outcome).toBe('phone_number_not_found');
      for (let i = 0; i < 100; i++) expect((await call(db, 'login_membership', [phone])).outcome).toBe('locked');
      expect(await call(db, 'log_login_attempt', [phone, 'wrong_passphrase', false])).toEqual({
        outcome: 'locked',
        login_attempt_id: null,
      });
    });
    expect(await adminCount('SELECT 1 FROM ecliptix.login_attempts WHERE phone_number = $1', [phone])).toBe(5);
    const { rows } = await admin.query<{ calls_while_locked: number }>(
      'SELECT calls_while_locked FROM ecliptix.login_attempts WHERE phone_number = $1 AND locked_until IS NOT NULL',
      [phone],
    );
    expect(rows).toEqual([{ calls_while_locked: 101 }]);
  });

  it('a flow becomes verified only through a checked code, and a failed flow stays failed', async () => {
    await role.as(async (db) => {
      const phoneUid = idOf(await call(db, 'ensure_phone_number', [nextUsPhone(), null, null]), 'phone_unique_id');
      const flow = await call(db, 'initiate_verification_flow', [await device(db), phoneUid, 'registration', null]);
      expect((await call(db, 'update_verification_flow_status', [flow.flow_unique_id, 'verified'])).outcome).toBe(
        'invalid_status_transition',
      );
      expect((await call(db, 'update_verification_flow_status', [flow.flow_unique_id, 'failed'])).outcome).toBe('updated');
      expect((await call(db, 'update_verification_flow_status', [flow.flow_unique_id, 'pending'])).outcome).toBe(
        'invalid_status_transition',
      );
      expect((await call(db, 'get_full_flow_state', [flow.flow_unique_id])).status).toBe('failed');
    });
  });

  it('a refusal discloses no identifier', async () => {
    await role.as(async (db) => {
      const phone = nextUsPhone();
      const flow = await verifiedFlow(db, phone);
      expect(await call(db, 'ensure_phone_number', [phone, null, randomUUID()])).toEqual({
        outcome: 'exists_but_app_device_not_found',
        phone_unique_id: null,
        success: false,
      });
      expect((await call(db, 'verify_phone_for_secret_key_recovery', [phone, null])).outcome).toBe('membership_not_found');
      expect((await call(db, 'verify_phone_for_secret_key_recovery', [phone, null])).phone_unique_id).toBeNull();
      expect((await call(db, 'create_membership', [flow.flowUid, null, flow.otpUid, 'otp_verified'])).outcome).toBe('created');
      expect(await call(db, 'create_membership', [flow.flowUid, null, flow.otpUid, 'otp_verified'])).toMatchObject({
        outcome: 'membership_already_exists',
        membership_unique_id: null,
      });
      expect(await call(db, 'verify_phone_for_secret_key_recovery', [phone, null])).toEqual({
        outcome: 'secure_key_not_set',
        phone_unique_id: null,
      });
    });
  });
});
