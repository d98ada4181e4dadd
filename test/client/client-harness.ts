/** A memberships client over a fresh, migrated test database, with throw-away keys. */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { createMembershipsClient, type MembershipsClient } from '../../src/client/memberships-client.js';
import type { EnsurePhoneNumberResult } from '../../src/client/outcomes.js';
import { generateKeyring, type Secrets } from '../../src/client/keyring.js';
import type { Database, Engine } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

export interface ClientFixture {
  target: TestDatabase;
  db: Database;
  client: MembershipsClient;
  secrets: Secrets;
  close(): Promise<void>;
}

export async function openClientFixture(engine: Engine, options: { maxConnections?: number } = {}): Promise<ClientFixture> {
  const target = await createTestDatabase(engine, { withSchema: true });
  const db = await target.open({ maxConnections: options.maxConnections ?? 8 });
  const secrets = { otpKeys: generateKeyring('otp-2026'), dataKeys: generateKeyring('data-2026') };
  return {
    target,
    db,
    secrets,
    client: createMembershipsClient({ db, secrets }),
    async close() {
      await db.close();
      await target.drop();
    },
  };
}

/**
 * For the calling describe block: a fresh client fixture before every test,
 * closed after it. Read its fields inside the test (they change from one test
 * to the next).
 */
export function clientFixtureEach(engine: Engine): Omit<ClientFixture, 'close'> {
  let fx: ClientFixture | undefined;
  beforeEach(async () => {
    fx = await openClientFixture(engine);
  });
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });
  const current = (): ClientFixture => {
    if (!fx) throw new Error('clientFixtureEach: no test is running');
    return fx;
  };
  return {
    get target() {
      return current().target;
    },
    get db() {
      return current().db;
    },
    get client() {
      return current().client;
    },
    get secrets() {
      return current().secrets;
    },
  };
}

/** A valid number of the given country, different per call. */
let counter = 0;
export function nextUsPhone(): string {
  counter += 1;
  return `+1415555${String(1000 + counter).slice(-4)}`;
}

export async function registeredDevice(client: MembershipsClient): Promise<string> {
  const result = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() });
  return result.deviceId;
}

export function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/** The phone id of an ensurePhoneNumber result; the *_but_app_device_not_found refusals disclose none. */
export function phoneIdOf(result: EnsurePhoneNumberResult): string {
  if (!('phoneId' in result)) throw new Error(`expected a phone id, got ${result.outcome}`);
  return result.phoneId;
}

/**
 * A verified flow of `purpose` for a phone number through the client: device,
 * phone, flow, code, verified. Returns what a later step needs.
 */
export async function verifiedClientFlow(
  client: MembershipsClient,
  input: { phoneNumber: string; purpose: 'registration' | 'password_recovery' | 'login'; deviceId?: string; connectionId?: number | null },
): Promise<{ deviceId: string; phoneId: string; flowId: string; otpId: string }> {
  const deviceId = input.deviceId ?? (await registeredDevice(client));
  const phoneId = phoneIdOf(await client.ensurePhoneNumber({ phoneNumber: input.phoneNumber, appDeviceId: deviceId }));
  const flow = await client.initiateVerificationFlow({
    appDeviceId: deviceId,
    phoneId,
    purpose: input.purpose,
    connectionId: input.connectionId ?? null,
  });
  if (flow.outcome !== 'created') throw new Error(`expected a created flow, got ${flow.outcome}`);
  const issued = await client.issueOtp(flow.flow.flowId);
  if (issued.outcome !== 'issued') throw new Error(`expected an issued code, got ${issued.outcome}`);
  const verified = await client.verifyOtp(flow.flow.flowId, issued.code);
  if (verified.outcome !== 'verified') throw new Error(`expected verified, got ${verified.outcome}`);
  return { deviceId, phoneId, flowId: flow.flow.flowId, otpId: issued.otpId };
}
