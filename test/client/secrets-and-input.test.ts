/** What the client refuses before any query, how it keeps secrets out of the database, and its keys. */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createMembershipsClient } from '../../src/client/memberships-client.js';
import { InvalidInputError, KeyError } from '../../src/client/errors.js';
import { generateKeyring, keyringFromText, keyringToText, loadSecrets } from '../../src/client/keyring.js';
import { decryptSecureKey, encryptSecureKey } from '../../src/client/secure-key.js';
import { fromPgPool, openMembershipsClient } from '../../src/client/open.js';
import { MANIFEST } from '../../src/schema/manifest.js';
import { engines } from '../support/databases.js';
import {
  clientFixtureEach,
  nextUsPhone,
  phoneIdOf,
  registeredDevice,
  verifiedClientFlow,
  wrongCode,
  type ClientFixture,
} from './client-harness.js';

async function tableCounts(fx: Pick<ClientFixture, 'db'>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of MANIFEST.filter((o) => o.kind === 'table')) {
    // Table names come from the manifest (constants), not from input.
    counts[table.name] = (await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ecliptix.${table.name}`)).rows[0]!.n;
  }
  return counts;
}

describe.each(engines)('client input and secrets on %s', (engine) => {
  const fx = clientFixtureEach(engine);

  it('refuses bad input with a clear error naming the field, before any query', async () => {
    const { client } = fx;
    const before = await tableCounts(fx);
    const cases: [Promise<unknown>, string][] = [
      [client.registerDevice({ appInstanceId: 'nope', deviceId: randomUUID() }), 'appInstanceId: must be a UUID'],
      [
        client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID(), deviceType: 1.5 }),
        'deviceType: must be a whole number',
      ],
      [client.ensurePhoneNumber({ phoneNumber: '+1234567890' }), 'phoneNumber: +1234567890 is not a valid phone number'],
      [client.ensurePhoneNumber({ phoneNumber: "'; DROP TABLE ecliptix.memberships; --" }), 'phoneNumber: is not a phone number'],
      [client.ensurePhoneNumber({ phoneNumber: '415 555 2671' }), 'phoneNumber: is not a phone number (invalid country)'],
      [client.ensurePhoneNumber({ phoneNumber: '4155552671', region: 'USA' }), 'region: must be a two-letter'],
      [client.ensurePhoneNumber({ phoneNumber: '+14155552671', appDeviceId: '123' }), 'appDeviceId: must be a UUID'],
      [
        client.initiateVerificationFlow({ appDeviceId: randomUUID(), phoneId: randomUUID(), purpose: 'signup' as never }),
        'purpose: must be one of unspecified, registration',
      ],
      [
        client.initiateVerificationFlow({ appDeviceId: randomUUID(), phoneId: randomUUID(), purpose: 'login', connectionId: -1 }),
        'connectionId: must be a whole number',
      ],
      [client.verifyOtp(randomUUID(), '12345'), 'code: must be a string of 6 digits'],
      [client.verifyOtp(randomUUID(), '12345a'), 'code: must be a string of 6 digits'],
      [client.updateOtpStatus(randomUUID(), 'done' as never), 'status: must be one of pending, verified, expired, failed'],
      [
        client.setSecureKey({ membershipId: randomUUID(), flowId: randomUUID(), secureKey: new Uint8Array(0) }),
        'secureKey: must be 1 to 8192 bytes (got 0)',
      ],
      [client.setSecureKey({ membershipId: randomUUID(), flowId: randomUUID(), secureKey: 'key' as never }), 'secureKey: must be bytes'],
      [client.setSecureKey({ membershipId: 'm-1', flowId: randomUUID(), secureKey: new Uint8Array(1) }), 'membershipId: must be a UUID'],
      [client.setSecureKey({ membershipId: randomUUID(), flowId: 'f-1', secureKey: new Uint8Array(1) }), 'flowId: must be a UUID'],
      [client.setSecureKey({ membershipId: randomUUID(), secureKey: new Uint8Array(1) } as never), 'flowId: must be a UUID'],
      [
        client.logLoginAttempt({ phoneNumber: '+14155552671', outcome: 'x'.repeat(256), isSuccess: false }),
        'outcome: must be at most 255 characters',
      ],
      [client.logLoginAttempt({ phoneNumber: '+14155552671', outcome: 'x', isSuccess: 'no' as never }), 'isSuccess: must be true or false'],
      [
        client.logLoginAttempt({ phoneNumber: '+14155552671', outcome: 'key_released', isSuccess: false }),
        'outcome: key_released is reserved for the key releases of login',
      ],
      [client.login(''), 'phoneNumber: must be a non-empty phone number'],
      [client.confirmLogin(''), 'phoneNumber: must be a non-empty phone number'],
      [client.confirmLogin('+1234567890'), 'phoneNumber: +1234567890 is not a valid phone number'],
      [
        client.createMembership({ flowId: randomUUID(), otpId: randomUUID(), creationStatus: 'done' as never }),
        'creationStatus: must be one of',
      ],
    ];
    for (const [call, message] of cases) {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, message).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toContain(message);
    }
    expect(await tableCounts(fx)).toEqual(before);
  });

  it("normalises phone numbers to E.164 with the number's own region, never the caller's", async () => {
    const result = await fx.client.ensurePhoneNumber({ phoneNumber: '(415) 555-2671', region: 'us' });
    expect(result).toMatchObject({ outcome: 'created', phone: { e164: '+14155552671', region: 'US' } });
    const phoneId = phoneIdOf(result);
    const again = await fx.client.ensurePhoneNumber({ phoneNumber: '+1 415-555-2671' });
    expect(again).toEqual({ outcome: 'exists', phoneId, phone: { e164: '+14155552671', region: 'US' } });
    // A caller's region does not change an international number's region, nor its identity.
    const elsewhere = await fx.client.ensurePhoneNumber({ phoneNumber: '+1 415-555-2671', region: 'GB' });
    expect(elsewhere).toEqual({ outcome: 'exists', phoneId, phone: { e164: '+14155552671', region: 'US' } });
    expect(await fx.client.getPhoneNumberDetails(phoneId)).toEqual({ phoneId, phoneNumber: '+14155552671', region: 'US' });
    // A non-geographic number (+800) has the region 001.
    const freephone = await fx.client.ensurePhoneNumber({ phoneNumber: '+800 1234 5678' });
    expect(freephone).toMatchObject({ outcome: 'created', phone: { e164: '+80012345678', region: '001' } });
    expect(await fx.client.getPhoneNumber(phoneIdOf(freephone))).toEqual({ phoneNumber: '+80012345678', region: '001' });
    // With an unknown device the phone is kept, but its id is not disclosed.
    const refused = await fx.client.ensurePhoneNumber({ phoneNumber: '+1 415-555-2671', appDeviceId: randomUUID() });
    expect(refused).toEqual({ outcome: 'exists_but_app_device_not_found', phone: { e164: '+14155552671', region: 'US' } });
  });

  it('the database never contains an OTP code or an unencrypted secure key (every column of every table searched)', async () => {
    const { client, db } = fx;
    const codes: string[] = [];
    const keys: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      const deviceId = await registeredDevice(client);
      const phoneNumber = nextUsPhone();
      const phone = await client.ensurePhoneNumber({ phoneNumber, appDeviceId: deviceId });
      const flow = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId: phoneIdOf(phone), purpose: 'registration' });
      if (flow.outcome !== 'created') throw new Error(flow.outcome);
      const issued = await client.issueOtp(flow.flow.flowId);
      if (issued.outcome !== 'issued') throw new Error(issued.outcome);
      codes.push(issued.code, wrongCode(issued.code));
      await client.verifyOtp(flow.flow.flowId, wrongCode(issued.code));
      await client.verifyOtp(flow.flow.flowId, issued.code);
      const membership = await client.createMembership({ flowId: flow.flow.flowId, otpId: issued.otpId });
      if (membership.outcome !== 'created') throw new Error(membership.outcome);
      const key = randomBytes(48);
      keys.push(key);
      expect((await client.setSecureKey({ membershipId: membership.membershipId, flowId: flow.flow.flowId, secureKey: key })).outcome).toBe(
        'updated',
      );
      expect(await client.login(phoneNumber)).toMatchObject({ outcome: 'success', secureKey: key });
      expect(await client.confirmLogin(phoneNumber)).toEqual({ outcome: 'confirmed' });
    }
    const dump: string[] = [];
    const raw: Buffer[] = [];
    for (const table of MANIFEST.filter((o) => o.kind === 'table')) {
      const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM ecliptix.${table.name}`);
      for (const row of rows) {
        for (const value of Object.values(row)) {
          if (value instanceof Uint8Array) raw.push(Buffer.from(value));
          else if (value !== null) dump.push(value instanceof Date ? value.toISOString() : String(value));
        }
      }
    }
    const text = dump.join('\n');
    for (const code of codes) expect(text).not.toMatch(new RegExp(`(^|\\D)${code}(\\D|$)`));
    for (const key of keys) {
      for (const blob of raw) expect(blob.includes(key)).toBe(false);
      expect(text).not.toContain(key.toString('base64'));
      expect(text).not.toContain(key.toString('hex'));
    }
    expect(raw).toHaveLength(3); // the three encrypted keys are there, just not readable
  });

  it('a tampered secure key, or one under an unknown key id, is a clear KeyError', async () => {
    const { client, db, secrets } = fx;
    const phoneNumber = nextUsPhone();
    const registration = await verifiedClientFlow(client, { phoneNumber, purpose: 'registration' });
    const membership = await client.createMembership({ flowId: registration.flowId, otpId: registration.otpId });
    if (membership.outcome !== 'created') throw new Error(membership.outcome);
    expect(
      (await client.setSecureKey({ membershipId: membership.membershipId, flowId: registration.flowId, secureKey: randomBytes(32) }))
        .outcome,
    ).toBe('updated');

    await db.query(
      'UPDATE ecliptix.memberships SET secure_key = set_byte(secure_key, length(secure_key) - 1, get_byte(secure_key, length(secure_key) - 1) # 1)',
    );
    await expect(client.login(phoneNumber)).rejects.toThrow(/failed authentication: it was tampered with/);

    // A new key (proved by a verified recovery flow) set by a client with another data keyring.
    const otherKeys = createMembershipsClient({ db, secrets: { otpKeys: secrets.otpKeys, dataKeys: generateKeyring('data-other') } });
    const recovery = await verifiedClientFlow(otherKeys, { phoneNumber, purpose: 'password_recovery' });
    expect(
      (await otherKeys.setSecureKey({ membershipId: membership.membershipId, flowId: recovery.flowId, secureKey: randomBytes(32) }))
        .outcome,
    ).toBe('updated');
    await expect(client.login(phoneNumber)).rejects.toThrow(KeyError);
    await expect(client.login(phoneNumber)).rejects.toThrow(/key id "data-other", which is not in the configured keyring/);
  });
});

describe('keys', () => {
  it('rotation: a new current key encrypts, older keys still decrypt', () => {
    const old = generateKeyring('2025');
    const ciphertext = encryptSecureKey(old, 'm1', Buffer.from('secret'));
    const rotated = keyringFromText('test', `${keyringToText(generateKeyring('2026'))},${keyringToText(old)}`);
    expect(rotated.currentId).toBe('2026');
    expect(decryptSecureKey(rotated, 'm1', ciphertext).toString()).toBe('secret');
    expect(encryptSecureKey(rotated, 'm1', Buffer.from('x')).subarray(2, 6).toString()).toBe('2026');
    expect(() => decryptSecureKey(rotated, 'm2', ciphertext)).toThrow(/failed authentication/); // bound to its membership
  });

  it('malformed keyrings and missing keys are clear errors', () => {
    expect(() => keyringFromText('ECLIPTIX_DATA_KEYS', 'k1:c2hvcnQ=')).toThrow(
      'ECLIPTIX_DATA_KEYS: key k1 must be 32 bytes of base64 (got 5 bytes)',
    );
    expect(() => keyringFromText('ECLIPTIX_DATA_KEYS', 'nocolon')).toThrow(/expected id:base64key/);
    expect(() => keyringFromText('X', '')).toThrow('X: no key given');
    expect(() => loadSecrets({ env: {} })).toThrow(/set ECLIPTIX_OTP_KEYS and ECLIPTIX_DATA_KEYS/);
  });

  it('the embedded default generates development keys once, keeps them private, and says so', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'persistor-keys-')), '.ecliptix', 'dev-secrets.json');
    const told: string[] = [];
    const first = loadSecrets({ env: {}, devSecretsFile: file, onDevelopmentKeys: (f) => told.push(f) });
    const second = loadSecrets({ env: {}, devSecretsFile: file });
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(told).toEqual([file]);
    expect(keyringToText(second.dataKeys)).toBe(keyringToText(first.dataKeys));
    expect(readFileSync(file, 'utf8')).toContain('dev1:');
  });
});

describe('opening a client', () => {
  it('over an application-owned pg Pool, and from configuration', async () => {
    const { createTestDatabase } = await import('../support/databases.js');
    const target = await createTestDatabase('postgres', { withSchema: true });
    const pool = new pg.Pool({ connectionString: target.config.databaseUrl, max: 2 });
    pool.on('error', () => undefined);
    try {
      const secrets = { otpKeys: generateKeyring(), dataKeys: generateKeyring() };
      const client = createMembershipsClient({ db: fromPgPool(pool), secrets });
      expect((await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() })).outcome).toBe('created');
      const opened = await openMembershipsClient({ databaseUrl: target.config.databaseUrl!, secrets });
      try {
        expect((await opened.ensurePhoneNumber({ phoneNumber: '+442079460123' })).outcome).toBe('created');
      } finally {
        await opened.close();
      }
      expect(() => loadSecrets({ env: {} })).toThrow(KeyError);
      await expect(openMembershipsClient({ databaseUrl: target.config.databaseUrl! })).rejects.toThrow(/set ECLIPTIX_OTP_KEYS/);
    } finally {
      await pool.end();
      await target.drop();
    }
  });
});
