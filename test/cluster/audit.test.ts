/**
 * `audit` on a cluster (server only: PGlite cannot host PL/Proxy): the
 * partitions' figures are added up before they are judged — the flows of one
 * prefix spread over both partitions make one bursting prefix — and a
 * number locked on its partition is named masked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMembershipsClient } from '../../src/client/memberships-client.js';
import { generateKeyring } from '../../src/client/keyring.js';
import { runCli } from '../support/cli.js';
import { deployedTestCluster, type TestCluster } from './support.js';

describe('audit on a 2-partition cluster (postgres + PL/Proxy)', () => {
  let cluster: TestCluster;
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    ({ cluster } = await deployedTestCluster(2, { fromSchemaTemplate: true }));
    dir = mkdtempSync(join(tmpdir(), 'persistor-cluster-audit-'));
    configFile = join(dir, 'ecliptix-persistor.config.json');
    writeFileSync(configFile, JSON.stringify({ cluster: cluster.config }));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await cluster?.drop();
  });

  it('adds the partitions up: counts, a prefix spread over both, a number locked twice masked', async () => {
    const proxy = await cluster.openProxy({ maxConnections: 2 });
    const numbers: string[] = [];
    try {
      const client = createMembershipsClient({ db: proxy, secrets: { otpKeys: generateKeyring(), dataKeys: generateKeyring() } });
      for (let i = 0; i < 12; i++) {
        const phoneNumber = `+1415556${String(i).padStart(4, '0')}`;
        numbers.push(phoneNumber);
        const device = await client.registerDevice({ appInstanceId: crypto.randomUUID(), deviceId: crypto.randomUUID() });
        const phone = await client.ensurePhoneNumber({ phoneNumber, appDeviceId: device.deviceId });
        if (!('phoneId' in phone)) throw new Error(phone.outcome);
        const flow = await client.initiateVerificationFlow({
          appDeviceId: device.deviceId,
          phoneId: phone.phoneId,
          purpose: 'registration',
        });
        if (flow.outcome !== 'created') throw new Error(flow.outcome);
        expect((await client.issueOtp(flow.flow.flowId)).outcome).toBe('issued');
      }
      const locked = '+14155569999';
      numbers.push(locked);
      for (let i = 0; i < 5; i++) await client.logLoginAttempt({ phoneNumber: locked, outcome: 'invalid_passphrase', isSuccess: false });
    } finally {
      await proxy.close();
    }
    // The 12 flows are spread over the two partitions (the proxy routes by number).
    const perPartition = await Promise.all(
      [0, 1].map(async (i) => {
        const db = await cluster.openPartition(i);
        try {
          return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM ecliptix.verification_flows')).rows[0]!.n);
        } finally {
          await db.close();
        }
      }),
    );
    expect(perPartition.every((n) => n > 0 && n < 10)).toBe(true);

    const run = await runCli(['audit', '--json', '--min-prefix-flows', '10', '--config', configFile], { timeoutMs: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.counts).toMatchObject({ flows: 12, codes: 12, lockouts: 1, failed_sign_ins: 5 });
    expect(report.limits.find((l: { limit: string }) => l.limit === 'failed_logins').hits).toBe(1);
    expect(report.byCallingCode).toEqual([expect.objectContaining({ key: '+1', flowsStarted: 12, flowsVerified: 0 })]);
    // 12 flows of +141 only judged together (neither partition alone has 10).
    expect(report.suspiciousPrefixes).toEqual([
      expect.objectContaining({ key: '+141', flowsStarted: 12, reasons: expect.arrayContaining(['conversion 0 % (under 50 %)']) }),
    ]);
    expect(report.snapshot.kept).toBe(false);
    for (const number of numbers) expect(run.stdout).not.toContain(number.slice(-7));
  });
});
