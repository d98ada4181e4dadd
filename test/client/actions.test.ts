/**
 * The user's actions (issue 14): startVerification and checkCode, a
 * sign-up's verification in two round trips. On PGlite and a real server:
 * the round trips and what is written, compared with the routine-level path;
 * every limit through the new path; the attacks on check_code as the
 * application role; races (server only: PGlite has one connection); bad input.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMembershipsClient, type MembershipsClient } from '../../src/client/memberships-client.js';
import { generateKeyring } from '../../src/client/keyring.js';
import { InvalidInputError } from '../../src/client/errors.js';
import { hashOtp } from '../../src/client/otp.js';
import type { Database, Queryable } from '../../src/db/database.js';
import { setUpAppRole, type AppRole } from '../support/app-role.js';
import { advanceClock } from '../support/clock.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { sqlState } from '../support/sql-state.js';
import { call } from '../schema-concurrency/procedures.js';
import { nextUsPhone, phoneIdOf, registeredDevice, wrongCode } from './client-harness.js';

type Row = Record<string, unknown>;

/** A Queryable that counts the statements sent through it. */
function counting(db: Queryable): Queryable & { count: number } {
  const counted = {
    count: 0,
    query: <R = Row>(sql: string, params?: readonly unknown[]) => {
      counted.count += 1;
      return db.query<R>(sql, params);
    },
    exec: (script: string) => db.exec(script),
  };
  return counted;
}

/**
 * What a sign-up wrote for one phone number, without identifiers or times: the
 * rows of every table that belongs to the number (and the limit guards it took).
 */
async function writtenFor(db: Queryable, phoneNumber: string): Promise<Record<string, unknown>> {
  const { rows } = await db.query<{ written: Record<string, unknown> }>(
    `WITH p AS (SELECT id, unique_id FROM ecliptix.phone_numbers WHERE phone_number = $1)
     SELECT jsonb_build_object(
       'phones', (SELECT jsonb_agg(jsonb_build_object('region', n.region, 'deleted', n.is_deleted)) FROM ecliptix.phone_numbers n JOIN p ON p.id = n.id),
       'links', (SELECT jsonb_agg(jsonb_build_object('primary', l.is_primary, 'deleted', l.is_deleted)) FROM ecliptix.phone_number_devices l JOIN p ON p.unique_id = l.phone_number_id),
       'flows', (SELECT jsonb_agg(jsonb_build_object('status', f.status, 'purpose', f.purpose, 'otps', f.otp_count, 'connection', f.connection_id, 'deleted', f.is_deleted))
                   FROM ecliptix.verification_flows f JOIN p ON p.id = f.phone_number_id),
       'otps', (SELECT jsonb_agg(jsonb_build_object('status', o.status, 'active', o.is_active, 'deleted', o.is_deleted)) FROM ecliptix.otp_records o JOIN p ON p.id = o.phone_number_id),
       'failed_checks', (SELECT count(*) FROM ecliptix.failed_otp_attempts a JOIN p ON p.id = a.phone_number_id),
       'memberships', (SELECT jsonb_agg(jsonb_build_object('status', m.status, 'creation', m.creation_status, 'key', m.secure_key IS NOT NULL, 'deleted', m.is_deleted))
                         FROM ecliptix.memberships m JOIN p ON p.unique_id = m.phone_number_id),
       'membership_attempts', (SELECT jsonb_agg(jsonb_build_object('outcome', a.outcome, 'success', a.is_success) ORDER BY a.id)
                                 FROM ecliptix.membership_attempts a JOIN p ON p.unique_id = a.phone_number_id),
       'login_attempts', (SELECT jsonb_agg(jsonb_build_object('outcome', a.outcome, 'success', a.is_success) ORDER BY a.id)
                            FROM ecliptix.login_attempts a WHERE a.phone_number = $1),
       'guards', (SELECT count(*) FROM ecliptix_internal.limit_guards g JOIN p ON g.key IN ('phone:' || p.id, 'login:' || $1)),
       'events', (SELECT count(*) FROM ecliptix.event_log)
     ) AS written`,
    [phoneNumber],
  );
  return rows[0]!.written;
}

/** `n` different codes, none of them `code`. */
function wrongCodes(code: string, n: number): string[] {
  const codes = [wrongCode(code)];
  while (codes.length < n) codes.push(wrongCode(codes.at(-1)!));
  return codes;
}

/** startVerification, expecting a code. */
async function issued(
  client: MembershipsClient,
  phoneNumber: string,
  appDeviceId: string,
  purpose: 'registration' | 'login' = 'registration',
) {
  const started = await client.startVerification({ phoneNumber, appDeviceId, purpose });
  if (started.outcome !== 'issued') throw new Error(`expected issued, got ${started.outcome}`);
  return started;
}

describe.each(engines)('user actions on %s', (engine) => {
  let target: TestDatabase;
  let admin: Database;
  let role: AppRole;
  const secrets = { otpKeys: generateKeyring('otp-a'), dataKeys: generateKeyring('data-a') };

  beforeEach(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
    admin = await target.open({ maxConnections: 8 });
    role = await setUpAppRole(target, admin);
  });
  afterEach(async () => {
    await admin?.close();
    await target?.drop();
    await role?.drop();
  });

  const adminQuery = <T = Row>(sql: string, params: unknown[] = []) => role.asAdmin(() => admin.query<T>(sql, params));
  const count = async (sql: string, params: unknown[] = []) =>
    (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params)).rows[0]!.n;

  it('a sign-up is 5 round trips and writes exactly what the routine-level sign-up writes', async () => {
    const db = counting(admin);
    const client = createMembershipsClient({ db, secrets });

    const actionsPhone = nextUsPhone();
    const deviceId = await registeredDevice(client);
    const started = await client.startVerification({
      phoneNumber: actionsPhone,
      appDeviceId: deviceId,
      purpose: 'registration',
      connectionId: 7,
    });
    if (started.outcome !== 'issued') throw new Error(started.outcome);
    expect(started).toMatchObject({ resumed: false, flow: { status: 'pending', purpose: 'registration', otpCount: 1, connectionId: 7 } });
    const checked = await client.checkCode(started.flow.flowId, started.code, { connectionId: 7 });
    if (checked.outcome !== 'verified' || checked.membership?.outcome !== 'created') throw new Error(JSON.stringify(checked));
    expect(checked.membership).toMatchObject({ status: 'active', creationStatus: 'otp_verified' });
    const key = randomBytes(32);
    expect(
      (await client.setSecureKey({ membershipId: checked.membership.membershipId, flowId: started.flow.flowId, secureKey: key })).outcome,
    ).toBe('updated');
    const login = await client.login(actionsPhone);
    expect(login.outcome).toBe('success');
    expect(db.count).toBe(5);

    db.count = 0;
    const routinesPhone = nextUsPhone();
    const device2 = await registeredDevice(client);
    const phoneId = phoneIdOf(await client.ensurePhoneNumber({ phoneNumber: routinesPhone, appDeviceId: device2 }));
    const flow = await client.initiateVerificationFlow({ appDeviceId: device2, phoneId, purpose: 'registration', connectionId: 7 });
    if (flow.outcome !== 'created') throw new Error(flow.outcome);
    const otp = await client.issueOtp(flow.flow.flowId);
    if (otp.outcome !== 'issued') throw new Error(otp.outcome);
    expect((await client.verifyOtp(flow.flow.flowId, otp.code)).outcome).toBe('verified');
    const membership = await client.createMembership({ flowId: flow.flow.flowId, otpId: otp.otpId, connectionId: 7 });
    if (membership.outcome !== 'created') throw new Error(membership.outcome);
    await client.setSecureKey({ membershipId: membership.membershipId, flowId: flow.flow.flowId, secureKey: key });
    expect((await client.login(routinesPhone)).outcome).toBe('success');
    expect(db.count).toBe(9);

    const written = await writtenFor(admin, actionsPhone);
    expect(written).toEqual(await writtenFor(admin, routinesPhone));
    expect(written).toMatchObject({ flows: [{ status: 'verified' }], memberships: [{ key: true, creation: 'secure_key_set' }] });
  });

  it("the code's hash binds the flow: the new flow keeps the proposal's last 112 bits, and a code of one flow fails on another", async () => {
    const client = createMembershipsClient({ db: admin, secrets });
    const phone = nextUsPhone();
    const a = await issued(client, phone, await registeredDevice(client));
    const b = await issued(client, phone, await registeredDevice(client));
    const stored = await adminQuery<{ otp_hash: string; otp_salt: string; flow_unique_id: string }>(
      'SELECT otp_hash, otp_salt, flow_unique_id::text FROM ecliptix.otp_records WHERE unique_id = $1',
      [a.otpId],
    );
    expect(stored.rows[0]!.otp_hash).toMatch(/^otp-a\$v2\$[A-Za-z0-9+/]{43}=$/);
    expect(stored.rows[0]!.flow_unique_id).toBe(a.flow.flowId);
    // b's code against a's flow (when the two codes differ): a wrong code.
    if (a.code !== b.code) expect((await client.checkCode(a.flow.flowId, b.code)).outcome).toBe('invalid_code');
    expect((await client.checkCode(a.flow.flowId, a.code)).outcome).toBe('verified');
  });

  it('every limit holds through the new path: 30 flows an hour, 5 codes a flow, the cooldown, 5 failed checks a flow, 15 an hour a number', async () => {
    const client = createMembershipsClient({ db: admin, secrets });

    // 30 flows per number per hour.
    const busy = nextUsPhone();
    const starts: string[] = [];
    for (let i = 0; i < 31; i++)
      starts.push(
        (await client.startVerification({ phoneNumber: busy, appDeviceId: await registeredDevice(client), purpose: 'login' })).outcome,
      );
    expect(starts.slice(0, 30).every((o) => o === 'issued')).toBe(true);
    expect(starts[30]).toBe('rate_limit_exceeded');
    expect(
      await count(
        'SELECT 1 FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id WHERE p.phone_number = $1',
        [busy],
      ),
    ).toBe(30);

    // The cooldown, then 5 codes a flow: a resumed flow gets a new code only after 30 s, and never a 6th.
    await adminQuery("UPDATE ecliptix_internal.settings SET value = '10 minutes' WHERE name = 'flow_lifetime'");
    const phone = nextUsPhone();
    const device = await registeredDevice(client);
    const first = await issued(client, phone, device);
    const again = await client.startVerification({ phoneNumber: phone, appDeviceId: device, purpose: 'registration' });
    expect(again).toMatchObject({ outcome: 'resend_cooldown_active', flowId: first.flow.flowId });
    const codes = [first.code];
    for (let i = 0; i < 5; i++) {
      await role.asAdmin(() => advanceClock(admin, 31));
      const next = await client.startVerification({ phoneNumber: phone, appDeviceId: device, purpose: 'registration' });
      if (next.outcome === 'issued') {
        expect(next).toMatchObject({ resumed: true, flow: { flowId: first.flow.flowId } });
        codes.push(next.code);
      } else expect(next.outcome).toBe('max_otps_reached');
    }
    expect(codes).toHaveLength(5);
    expect(await count('SELECT 1 FROM ecliptix.otp_records WHERE flow_unique_id = $1', [first.flow.flowId])).toBe(5);

    // 5 failed checks a flow: the 5th fails the flow, and the right code is refused after it.
    const guessed = nextUsPhone();
    const flow = await issued(client, guessed, await registeredDevice(client));
    const checks: string[] = [];
    for (const code of wrongCodes(flow.code, 5)) checks.push((await client.checkCode(flow.flow.flowId, code)).outcome);
    expect(checks).toEqual(['invalid_code', 'invalid_code', 'invalid_code', 'invalid_code', 'max_failed_checks_reached']);
    expect((await client.checkCode(flow.flow.flowId, flow.code)).outcome).toBe('flow_not_pending');
    expect(
      await count(
        'SELECT 1 FROM ecliptix.memberships m JOIN ecliptix.phone_numbers p ON p.unique_id = m.phone_number_id WHERE p.phone_number = $1',
        [guessed],
      ),
    ).toBe(0);

    // 15 failed checks per number across its flows: the 16th check is refused, the right code too.
    for (let f = 0; f < 2; f++) {
      const more = await issued(client, guessed, await registeredDevice(client));
      for (let i = 0; i < 5; i++) await client.checkCode(more.flow.flowId, wrongCode(more.code));
    }
    const last = await issued(client, guessed, await registeredDevice(client));
    const right = await client.checkCode(last.flow.flowId, last.code);
    expect(right.outcome).toBe('too_many_failed_checks');
    expect((await client.checkCode(last.flow.flowId, wrongCode(last.code))).outcome).toBe(right.outcome);
    expect(
      await count(
        'SELECT 1 FROM ecliptix.failed_otp_attempts a JOIN ecliptix.phone_numbers p ON p.id = a.phone_number_id WHERE p.phone_number = $1',
        [guessed],
      ),
    ).toBe(15);
  });

  it('the membership-attempt limit holds through checkCode: a verified code, but no membership while the phone is over it', async () => {
    const client = createMembershipsClient({ db: admin, secrets });
    const phone = nextUsPhone();
    const first = await issued(client, phone, await registeredDevice(client));
    const phoneId = first.flow.phoneId;
    for (let i = 0; i < 5; i++)
      expect((await client.logMembershipAttempt({ phoneId, outcome: 'passphrase_rejected', isSuccess: false })).outcome).toBe('logged');
    const checked = await client.checkCode(first.flow.flowId, first.code);
    expect(checked).toMatchObject({ outcome: 'verified', membership: { outcome: 'rate_limit_exceeded' } });
    expect(await count('SELECT 1 FROM ecliptix.memberships WHERE phone_number_id = $1', [phoneId])).toBe(0);
    // The flow stays verified; once the window has passed, createMembership makes the membership.
    await role.asAdmin(() => advanceClock(admin, 3601));
    expect((await client.createMembership({ flowId: first.flow.flowId, otpId: first.otpId })).outcome).toBe('created');
  });

  it('the application role cannot pack guesses into one check: 1,000 hashes, or two under one key id, are refused and write nothing', async () => {
    await role.as(async (db) => {
      const client = createMembershipsClient({ db, secrets });
      const started = await issued(client, nextUsPhone(), await registeredDevice(client));
      const guesses = wrongCodes(started.code, 1000).map((code) => hashOtp(secrets.otpKeys, started.flow.flowId, code).hash);
      expect(await sqlState(call(db, 'check_code', [started.flow.flowId, guesses, null]))).toBe('22023');
      expect(await sqlState(call(db, 'check_code', [started.flow.flowId, guesses.slice(0, 2), null]))).toBe('22023');
      expect(await sqlState(call(db, 'check_code', [started.flow.flowId, [], null]))).toBe('22023');
      expect(await sqlState(call(db, 'check_code', [started.flow.flowId, ['otp-a$v2$not-base64'], null]))).toBe('22023');
      expect(await sqlState(call(db, 'check_code', [started.flow.flowId, null, null]))).toBe('22004');
      expect(await sqlState(call(db, 'check_code', [null, guesses.slice(0, 1), null]))).toBe('22004');
      // A hash under a key the code was not hashed with is an error, not a check.
      const otherKey = hashOtp(generateKeyring('other'), started.flow.flowId, started.code).hash;
      expect(await sqlState(call(db, 'check_code', [started.flow.flowId, [otherKey], null]))).toBe('22023');
      expect(await count('SELECT 1 FROM ecliptix.failed_otp_attempts')).toBe(0);
      expect((await client.getFlowState(started.flow.flowId))?.status).toBe('pending');

      // One well-formed guess per call is one failed check: 5 and the flow is failed, never verified.
      const outcomes: unknown[] = [];
      for (let i = 0; i < 6; i++) outcomes.push((await call(db, 'check_code', [started.flow.flowId, [guesses[i]!], null])).outcome);
      expect(outcomes).toEqual([
        'invalid_code',
        'invalid_code',
        'invalid_code',
        'invalid_code',
        'max_failed_checks_reached',
        'flow_not_pending',
      ]);
      expect((await client.getFlowState(started.flow.flowId))?.status).toBe('failed');
    });
  });

  it('start_verification as the application role: bad arguments raise before any write, on every path; a repeated proposal is 23505', async () => {
    await role.as(async (db) => {
      const client = createMembershipsClient({ db, secrets });
      const phone = nextUsPhone();
      const device = await registeredDevice(client);
      const started = await issued(client, phone, device, 'login');
      const stored = hashOtp(secrets.otpKeys, started.flow.flowId, '123456');
      const otherDevice = await registeredDevice(client);
      const startVerification = (values: unknown[]) => call(db, 'start_verification', values);
      const args = (proposal: string | null, overrides: Partial<Record<number, unknown>> = {}) =>
        [phone, null, otherDevice, 'login', null, proposal, stored.hash, stored.salt, new Date(Date.now() + 3600_000)].map((v, i) =>
          i in overrides ? overrides[i] : v,
        );
      const flows = await count('SELECT 1 FROM ecliptix.verification_flows');
      for (const [index, state] of [
        [0, '22004'],
        [2, '22004'],
        [3, '22023'],
        [5, '22004'],
        [6, '22004'],
        [7, '22004'],
        [8, '22004'],
      ] as const) {
        expect(await sqlState(startVerification(args(randomUUID(), { [index]: index === 3 ? 'sign_up' : null })))).toBe(state);
      }
      expect(await sqlState(startVerification(args(randomUUID(), { 6: '' })))).toBe('22023');
      expect(await count('SELECT 1 FROM ecliptix.verification_flows')).toBe(flows);

      // The code's hash, salt and expiry are checked before any write, on every path: a new flow, an unknown
      // device (the phone would otherwise be created), the device's pending flow (no code would be stored).
      const newPhone = nextUsPhone();
      for (const [override, state] of [
        [{ 6: '' }, '22023'],
        [{ 6: 'h'.repeat(513) }, '22001'],
        [{ 7: ' ' }, '22023'],
        [{ 8: 'infinity' }, '22023'],
        [{ 8: new Date(Date.now() + 3 * 86_400_000) }, '22023'],
      ] as const) {
        expect(await sqlState(startVerification(args(randomUUID(), { 0: newPhone, 2: randomUUID(), ...override })))).toBe(state);
        expect(await sqlState(startVerification(args(randomUUID(), { 2: device, ...override })))).toBe(state);
      }
      expect(await count('SELECT 1 FROM ecliptix.phone_numbers WHERE phone_number = $1', [newPhone])).toBe(0);
      expect(await count('SELECT 1 FROM ecliptix.otp_records WHERE flow_unique_id = $1', [started.flow.flowId])).toBe(1);

      // The proposal is the new flow's identifier; proposing an existing flow's is 23505 and writes nothing.
      const proposal = randomUUID();
      const fresh = await startVerification(args(proposal));
      expect(fresh).toMatchObject({ outcome: 'code_issued', flow_unique_id: proposal });
      const third = await registeredDevice(client);
      expect(await sqlState(startVerification(args(proposal, { 2: third })))).toBe('23505');
      expect(await count('SELECT 1 FROM ecliptix.verification_flows WHERE app_device_id = $1', [third])).toBe(0);
      expect(await count('SELECT 1 FROM ecliptix.phone_number_devices WHERE app_device_id = $1', [third])).toBe(0);
    });
  });

  it('a code refused right after its flow was created still names the flow (it stays, without a code)', async () => {
    await adminQuery("UPDATE ecliptix_internal.settings SET value = '0' WHERE name = 'max_otps_per_flow'");
    const client = createMembershipsClient({ db: admin, secrets });
    const started = await client.startVerification({
      phoneNumber: nextUsPhone(),
      appDeviceId: await registeredDevice(client),
      purpose: 'login',
    });
    expect(started.outcome).toBe('max_otps_reached');
    const flowId = (started as { flowId: string }).flowId;
    expect(flowId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client.getFlowState(flowId))?.status).toBe('failed');
  });

  it('bad input is refused by the client before any query', async () => {
    const db = counting(admin);
    const client = createMembershipsClient({ db, secrets });
    await expect(
      client.startVerification({ phoneNumber: '12', appDeviceId: randomUUID(), purpose: 'registration' }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      client.startVerification({ phoneNumber: nextUsPhone(), appDeviceId: 'nope', purpose: 'registration' }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      client.startVerification({ phoneNumber: nextUsPhone(), appDeviceId: randomUUID(), purpose: 'sign_up' as 'registration' }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(client.checkCode(randomUUID(), '12345')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(client.checkCode('nope', '123456')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(client.checkCode(randomUUID(), '123456', { connectionId: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    expect(db.count).toBe(0);
    expect(await client.checkCode(randomUUID(), '123456')).toEqual({ outcome: 'flow_not_found' });
    expect(await client.startVerification({ phoneNumber: nextUsPhone(), appDeviceId: randomUUID(), purpose: 'registration' })).toEqual({
      outcome: 'app_device_not_found',
    });
  });

  it('a code stored the older salted way is still checked (two round trips), and a verified flow is not started again', async () => {
    const db = counting(admin);
    const client = createMembershipsClient({ db, secrets });
    const phone = nextUsPhone();
    const device = await registeredDevice(client);
    const phoneId = phoneIdOf(await client.ensurePhoneNumber({ phoneNumber: phone, appDeviceId: device }));
    const flow = await client.initiateVerificationFlow({ appDeviceId: device, phoneId, purpose: 'registration' });
    if (flow.outcome !== 'created') throw new Error(flow.outcome);
    // The older form: "<key id>$<base64>" with a random salt (what issueOtp stored before v2).
    const { createHmac } = await import('node:crypto');
    const salt = randomBytes(16);
    const mac = createHmac('sha256', secrets.otpKeys.keys.get('otp-a')!)
      .update(salt)
      .update(flow.flow.flowId)
      .update('\u0000')
      .update('424242')
      .digest();
    const otp = await call(admin, 'insert_otp_record', [
      flow.flow.flowId,
      `otp-a$${mac.toString('base64')}`,
      salt.toString('base64'),
      new Date(Date.now() + 3600_000),
      'pending',
    ]);
    expect(otp.outcome).toBe('created');
    db.count = 0;
    const checked = await client.checkCode(flow.flow.flowId, '424242');
    expect(checked).toMatchObject({ outcome: 'verified', otpId: otp.otp_unique_id, membership: { outcome: 'created' } });
    expect(db.count).toBeGreaterThan(1);
    expect(await client.startVerification({ phoneNumber: phone, appDeviceId: device, purpose: 'registration' })).toMatchObject({
      outcome: 'verified',
      flow: { flowId: flow.flow.flowId, status: 'verified' },
    });
    // A login flow's verified code creates no membership.
    const login = await issued(client, phone, device, 'login');
    expect(await client.checkCode(login.flow.flowId, login.code)).toMatchObject({ outcome: 'verified', membership: null });
  });

  it('a code hashed under an older key is checked; a keyring of more than 16 keys checks the two-call way', async () => {
    const older = generateKeyring('otp-old');
    const issuing = createMembershipsClient({ db: admin, secrets: { ...secrets, otpKeys: older } });
    const started = await issued(issuing, nextUsPhone(), await registeredDevice(issuing));
    // Rotated: a new current key, the old one kept for reading.
    const rotated = { currentId: 'otp-new', keys: new Map([...generateKeyring('otp-new').keys, ...older.keys]) };
    const checking = counting(admin);
    const client = createMembershipsClient({ db: checking, secrets: { ...secrets, otpKeys: rotated } });
    expect(await client.checkCode(started.flow.flowId, started.code)).toMatchObject({
      outcome: 'verified',
      membership: { outcome: 'created' },
    });
    expect(checking.count).toBe(1);

    const many = {
      currentId: 'otp-old',
      keys: new Map([...older.keys, ...Array.from({ length: 16 }, (_, i) => [...generateKeyring(`k${i}`).keys][0]!)]),
    };
    const big = createMembershipsClient({ db: admin, secrets: { ...secrets, otpKeys: many } });
    const second = await issued(big, nextUsPhone(), await registeredDevice(big));
    expect(await big.checkCode(second.flow.flowId, wrongCode(second.code))).toMatchObject({ outcome: 'invalid_code' });
    expect(await big.checkCode(second.flow.flowId, second.code)).toMatchObject({ outcome: 'verified', membership: { outcome: 'created' } });
  });

  it.runIf(engine === 'postgres')(
    'races: 8 right codes at once verify once and create one membership; 8 starts at once issue one code',
    async () => {
      const client = createMembershipsClient({ db: admin, secrets });
      const started = await issued(client, nextUsPhone(), await registeredDevice(client));
      const checks = await Promise.all(Array.from({ length: 8 }, () => client.checkCode(started.flow.flowId, started.code)));
      expect(checks.filter((c) => c.outcome === 'verified')).toHaveLength(1);
      expect(checks.filter((c) => c.outcome === 'already_used')).toHaveLength(7);
      expect(await count('SELECT 1 FROM ecliptix.memberships WHERE verification_flow_id = $1', [started.flow.flowId])).toBe(1);

      const phone = nextUsPhone();
      const device = await registeredDevice(client);
      const starts = await Promise.all(
        Array.from({ length: 8 }, () => client.startVerification({ phoneNumber: phone, appDeviceId: device, purpose: 'registration' })),
      );
      expect(starts.filter((s) => s.outcome === 'issued')).toHaveLength(1);
      expect(starts.filter((s) => s.outcome === 'resend_cooldown_active')).toHaveLength(7);
      expect(
        await count(
          'SELECT 1 FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id WHERE p.phone_number = $1',
          [phone],
        ),
      ).toBe(1);
      expect(
        await count(
          'SELECT 1 FROM ecliptix.otp_records o JOIN ecliptix.phone_numbers p ON p.id = o.phone_number_id WHERE p.phone_number = $1',
          [phone],
        ),
      ).toBe(1);
    },
  );
});
