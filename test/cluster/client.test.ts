/**
 * The memberships client through the proxy (issue 11), on the real server
 * only: PGlite cannot host PL/Proxy. A full sign-up and sign-in journey —
 * device, phone, flow, codes (a wrong one, the right one), membership, secure
 * key, key release and confirmation, a recovery flow and a new key, failed
 * sign-ins until locked — runs with a client opened on the proxy's URL,
 * nothing else changed, and answers exactly as the same journey on one
 * database (results compared by shape: outcome values and field names, ids
 * and times aside); the keys it releases are the keys it stored.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyring } from '../../src/client/keyring.js';
import { createMembershipsClient, type MembershipsClient } from '../../src/client/memberships-client.js';
import { phoneHash, partitionOf } from '../../src/cluster/hash.js';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { deployedTestCluster, type TestCluster } from './support.js';
import { idIn, shapeLog } from './transcript.js';

const PARTITIONS = 2;
const secrets = { otpKeys: generateKeyring('otp-cluster'), dataKeys: generateKeyring('data-cluster') };

function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/** The journey; every result recorded by shape, and whether each released key was the one stored. */
async function journey(client: MembershipsClient, phoneNumber: string): Promise<unknown[]> {
  const { log, record } = shapeLog();
  const verifiedFlow = async (deviceId: string, phoneId: string, purpose: 'registration' | 'password_recovery') => {
    const flow = record('flow', await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId, purpose, connectionId: 7 }));
    const flowId = idIn(flow, /flow/i);
    record('flow state', await client.getFlowState(flowId));
    const issued = record('issue', await client.issueOtp(flowId));
    const code = (issued as { code?: string }).code ?? '';
    record('too soon', await client.issueOtp(flowId));
    record('wrong code', await client.verifyOtp(flowId, wrongCode(code)));
    record('right code', await client.verifyOtp(flowId, code));
    record('replayed code', await client.verifyOtp(flowId, code));
    return { flowId, otpId: idIn(issued, /otp/i) };
  };

  const device = record('device', await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() }));
  const deviceId = idIn(device, /device/i);
  const phone = record('phone', await client.ensurePhoneNumber({ phoneNumber, region: 'US', appDeviceId: deviceId }));
  const phoneId = idIn(phone, /phone/i);
  record('phone number', await client.getPhoneNumber(phoneId));
  record('phone details', await client.getPhoneNumberDetails(phoneId));

  const registration = await verifiedFlow(deviceId, phoneId, 'registration');
  const membership = record(
    'membership',
    await client.createMembership({ flowId: registration.flowId, otpId: registration.otpId, connectionId: 7 }),
  );
  const membershipId = idIn(membership, /membership/i);
  const key = randomBytes(32);
  record('secure key', await client.setSecureKey({ membershipId, flowId: registration.flowId, secureKey: key }));
  record('confirm without release', await client.confirmLogin(phoneNumber));
  const login = record('login', await client.login(phoneNumber));
  record('released the stored key', Buffer.from((login as { secureKey?: Uint8Array }).secureKey ?? []).equals(key));
  record('confirm', await client.confirmLogin(phoneNumber));
  record('recovery check', await client.verifyPhoneForSecretKeyRecovery({ phoneNumber }));

  // Recovery from another device: its row is read from its partition and copied to the phone's.
  const otherDevice = idIn(await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() }), /device/i);
  record('phone, second device', await client.ensurePhoneNumber({ phoneNumber, appDeviceId: otherDevice }));
  const recovery = await verifiedFlow(otherDevice, phoneId, 'password_recovery');
  const newKey = randomBytes(32);
  record('new key', await client.setSecureKey({ membershipId, flowId: recovery.flowId, secureKey: newKey }));
  record('proof used up', await client.setSecureKey({ membershipId, flowId: recovery.flowId, secureKey: randomBytes(32) }));
  const again = record('login with the new key', await client.login(phoneNumber));
  record('released the new key', Buffer.from((again as { secureKey?: Uint8Array }).secureKey ?? []).equals(newKey));
  record('confirm again', await client.confirmLogin(phoneNumber));

  for (let i = 0; i < 5; i++)
    record(`wrong passphrase ${i}`, await client.logLoginAttempt({ phoneNumber, outcome: 'invalid_passphrase', isSuccess: false }));
  record('locked', await client.login(phoneNumber));
  record('membership attempt', await client.logMembershipAttempt({ phoneId, outcome: 'client_journey', isSuccess: false }));
  return log;
}

/** The sign-up as the user's actions (issue 14), recorded by shape; a new device each time, so its row is copied when it lives elsewhere. */
async function actions(client: MembershipsClient, phoneNumber: string): Promise<{ log: unknown[]; flowIds: string[] }> {
  const { log, record } = shapeLog();
  const flowIds: string[] = [];
  const deviceId = idIn(record('device', await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() })), /device/i);
  const started = record(
    'send me a code',
    await client.startVerification({ phoneNumber, appDeviceId: deviceId, purpose: 'registration', connectionId: 7 }),
  );
  if (started.outcome !== 'issued') throw new Error(started.outcome);
  flowIds.push(started.flow.flowId);
  record(
    'again, too soon',
    await client.startVerification({ phoneNumber, appDeviceId: deviceId, purpose: 'registration', connectionId: 7 }),
  );
  record('wrong code', await client.checkCode(started.flow.flowId, wrongCode(started.code), { connectionId: 7 }));
  const checked = record('right code', await client.checkCode(started.flow.flowId, started.code, { connectionId: 7 }));
  record('replayed code', await client.checkCode(started.flow.flowId, started.code, { connectionId: 7 }));
  const membershipId = checked.outcome === 'verified' && checked.membership?.outcome === 'created' ? checked.membership.membershipId : '';
  const key = randomBytes(32);
  record('secure key', await client.setSecureKey({ membershipId, flowId: started.flow.flowId, secureKey: key }));
  const login = record('login', await client.login(phoneNumber));
  record('released the stored key', Buffer.from((login as { secureKey?: Uint8Array }).secureKey ?? []).equals(key));
  record(
    'verified flow, not started again',
    await client.startVerification({ phoneNumber, appDeviceId: deviceId, purpose: 'registration' }),
  );
  const other = idIn(await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() }), /device/i);
  const login2 = record('login flow, second device', await client.startVerification({ phoneNumber, appDeviceId: other, purpose: 'login' }));
  if (login2.outcome === 'issued') {
    flowIds.push(login2.flow.flowId);
    record('login code', await client.checkCode(login2.flow.flowId, login2.code));
  }
  return { log, flowIds };
}

describe('the memberships client through the proxy (postgres + PL/Proxy)', () => {
  let cluster: TestCluster;
  let single: TestDatabase;
  let proxyDb: Database;
  let singleDb: Database;

  beforeAll(async () => {
    ({ cluster } = await deployedTestCluster(PARTITIONS, { fromSchemaTemplate: true }));
    single = await createTestDatabase('postgres', { withSchema: true });
    // The client's database opened from configuration, the proxy's URL in place of a single database's.
    proxyDb = await openDatabase({ databaseUrl: cluster.config.proxy, dataDir: 'unused', connectTimeoutMs: 10_000, lockTimeoutMs: 10_000 });
    singleDb = await single.open();
  });
  afterAll(async () => {
    await Promise.allSettled([proxyDb?.close(), singleDb?.close()]);
    await single?.drop();
    await cluster?.drop();
  });

  it('runs the sign-up and sign-in journey unchanged, answering as one database does', async () => {
    // Numbers on both partitions.
    const phones = ['+14155550131', '+14155550132', '+14155550133', '+14155550134'];
    expect(new Set(phones.map((p) => partitionOf(phoneHash(p), PARTITIONS))).size).toBe(PARTITIONS);

    for (const phone of phones) {
      const onOne = await journey(createMembershipsClient({ db: singleDb, secrets }), phone);
      const throughProxy = await journey(createMembershipsClient({ db: proxyDb, secrets }), phone);
      expect(throughProxy).toEqual(onOne);
      const released = throughProxy.filter((entry) => (entry as { step: string }).step.startsWith('released'));
      expect(released).toEqual([
        { step: 'released the stored key', result: true },
        { step: 'released the new key', result: true },
      ]);
    }
  });

  it("runs the sign-up as the user's actions, answering as one database does; a flow's identifier says its phone's partition", async () => {
    const phones = ['+14155550141', '+14155550142', '+14155550143', '+14155550144'];
    expect(new Set(phones.map((p) => partitionOf(phoneHash(p), PARTITIONS))).size).toBe(PARTITIONS);
    for (const phone of phones) {
      const onOne = await actions(createMembershipsClient({ db: singleDb, secrets }), phone);
      const throughProxy = await actions(createMembershipsClient({ db: proxyDb, secrets }), phone);
      expect(throughProxy.log).toEqual(onOne.log);
      expect(throughProxy.log).toContainEqual({ step: 'released the stored key', result: true });
      expect(throughProxy.flowIds).toHaveLength(2);
      for (const flowId of throughProxy.flowIds) expect(parseInt(flowId.slice(0, 4), 16)).toBe(partitionOf(phoneHash(phone), PARTITIONS));
    }
  });
});
