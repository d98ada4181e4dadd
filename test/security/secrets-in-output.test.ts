/**
 * No log line, error message or --json output ever contains a password, an OTP
 * code, the OTP key, the data key or a secure key: a full CLI run at debug
 * level with a password in the URL and the keys in the environment, and the
 * client's own error messages, are searched for every one of them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMembershipsClient } from '../../src/client/memberships-client.js';
import { generateKeyring, keyringToText } from '../../src/client/keyring.js';
import { runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { nextUsPhone, phoneIdOf, wrongCode } from '../client/client-harness.js';

function forms(secret: Buffer | string): string[] {
  if (typeof secret === 'string') return [secret, encodeURIComponent(secret)];
  return [secret.toString('base64'), secret.toString('hex'), secret.toString('base64url')];
}

describe.each(engines)('secrets never reach output on %s', (engine) => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await createTestDatabase(engine);
  });
  afterEach(async () => {
    await target.drop();
  });

  it('a full CLI run at debug level, with a password in the URL and keys in the environment', { timeout: 240_000 }, async () => {
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    const otpKeys = generateKeyring('otp-k1');
    const dataKeys = generateKeyring('data-k1');
    const env = { ECLIPTIX_OTP_KEYS: keyringToText(otpKeys), ECLIPTIX_DATA_KEYS: keyringToText(dataKeys), ECLIPTIX_LOG_LEVEL: 'debug' };
    let args = target.cliArgs;
    if (engine === 'postgres') {
      // The test server trusts local connections, so any password is accepted — and must still never be shown.
      const url = new URL(target.config.databaseUrl!);
      url.password = password;
      args = ['--database-url', url.toString()];
    }
    const runs: CliResult[] = [];
    const backup = join(target.workDir, 'backup');
    // Every CLI run opens the embedded database afresh (~1-2 s): on PGlite, the commands that read the most.
    const commands = [
      ['test', '--json'],
      ['migrate', '--dry-run'],
      ['migrate', '--json'],
      ['status', '--json', '--drift'],
      ['status'],
      ['verify', '--json'],
      ['validate', '--json'],
      ['cleanup', '--dry-run', '--json'],
      ['backup', '--output', backup],
      ['migrate', '--target', 'x'],
    ];
    const selected =
      engine === 'postgres'
        ? commands
        : commands.filter((c) => ['migrate --json', 'status --json --drift', 'verify --json'].includes(c.join(' ')));
    for (const command of selected) runs.push(await runCli([...args, ...command], { env }));
    const succeeded = runs.length - (engine === 'postgres' ? 1 : 0);
    runs.push(await runCli(['test', '-s', `postgres://someone:${password}@127.0.0.1:1/none`], { env }));
    runs.push(await runCli(['test', '-s', `postgres://someone:${password}@/none`], { env }));
    expect(runs.slice(0, succeeded).map((r) => r.code)).toEqual(Array(succeeded).fill(0));
    const output = runs.map((r) => r.stdout + r.stderr).join('\n');
    expect(output).toContain('"level"'); // debug logging really was on
    const secrets = [password, ...[...otpKeys.keys.values(), ...dataKeys.keys.values()].flatMap(forms)];
    for (const secret of secrets) expect(output).not.toContain(secret);
  });

  it("the client's errors never carry an OTP code, a key or a secure key", async () => {
    const migrated = await runCli([...target.cliArgs, 'migrate']);
    expect(migrated.code).toBe(0);
    const db = await target.open();
    try {
      const secrets = { otpKeys: generateKeyring('otp-a'), dataKeys: generateKeyring('data-a') };
      const client = createMembershipsClient({ db, secrets });
      const messages: string[] = [];
      const capture = async (work: Promise<unknown>) => {
        try {
          const result = await work;
          messages.push(JSON.stringify(result, (_key, value) => (value?.type === 'Buffer' ? '[buffer]' : value)));
        } catch (error) {
          messages.push(String(error), JSON.stringify(error));
        }
      };
      const device = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() });
      const phoneNumber = nextUsPhone();
      const phone = await client.ensurePhoneNumber({ phoneNumber, appDeviceId: device.deviceId });
      const flow = await client.initiateVerificationFlow({
        appDeviceId: device.deviceId,
        phoneId: phoneIdOf(phone),
        purpose: 'registration',
      });
      if (flow.outcome !== 'created') throw new Error(flow.outcome);
      const otp = await client.issueOtp(flow.flow.flowId);
      if (otp.outcome !== 'issued') throw new Error(otp.outcome);
      await capture(client.verifyOtp(flow.flow.flowId, wrongCode(otp.code)));
      await capture(client.verifyOtp(flow.flow.flowId, `${otp.code}0`));
      await capture(client.verifyOtp(flow.flow.flowId, otp.code));
      await capture(client.getFlowState(flow.flow.flowId));
      const membership = await client.createMembership({ flowId: flow.flow.flowId, otpId: otp.otpId });
      if (membership.outcome !== 'created') throw new Error(membership.outcome);
      const secureKey = randomBytes(32);
      expect((await client.setSecureKey({ membershipId: membership.membershipId, flowId: flow.flow.flowId, secureKey })).outcome).toBe(
        'updated',
      );
      const otherKeys = createMembershipsClient({
        db,
        secrets: { otpKeys: generateKeyring('otp-b'), dataKeys: generateKeyring('data-b') },
      });
      await capture(otherKeys.login(phoneNumber));
      await db.query('UPDATE ecliptix.memberships SET secure_key = set_byte(secure_key, 40, get_byte(secure_key, 40) # 255)');
      await capture(client.login(phoneNumber));
      await capture(
        client.setSecureKey({ membershipId: membership.membershipId, flowId: flow.flow.flowId, secureKey: new Uint8Array(9000) }),
      );
      // Refused in the database (the registration flow proved the first key only): no key in the answer either.
      await capture(client.setSecureKey({ membershipId: membership.membershipId, flowId: flow.flow.flowId, secureKey }));
      const text = messages.join('\n');
      expect(text).toContain('failed authentication');
      expect(text).not.toMatch(new RegExp(`(^|\\D)${otp.code}(\\D|$)`));
      for (const secret of [secureKey, ...secrets.otpKeys.keys.values(), ...secrets.dataKeys.keys.values()].flatMap(forms)) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await db.close();
    }
  });
});
