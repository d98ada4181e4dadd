/**
 * `audit`: each figure checked against rows placed with the test clock — the
 * limits' refusals against their attempts, lockouts and a number locked
 * twice, conversion by calling code, a prefix with a burst of unverified
 * flows, the busiest device — and no phone number in any output format.
 */
import { describe, expect, it } from 'vitest';
import type { MembershipsClient } from '../../src/client/memberships-client.js';
import { audit } from '../../src/commands/audit.js';
import { createMembershipsClient } from '../../src/client/memberships-client.js';
import { generateKeyring } from '../../src/client/keyring.js';
import { registeredDevice, verifiedClientFlow } from '../client/client-harness.js';
import { advanceClock, setClockOffset } from '../support/clock.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, withOpenDatabase } from '../support/databases.js';
import type { Queryable } from '../../src/db/database.js';

let sequence = 0;
const usPhone = () => `+1415555${String(++sequence).padStart(4, '0')}`;
const gbPhone = () => `+447900${String(++sequence).padStart(4, '0')}00`;

/** A flow started with its code issued (never verified), from `deviceId` or a new device. */
async function startedFlow(client: MembershipsClient, phoneNumber: string, deviceId?: string): Promise<void> {
  const device = deviceId ?? (await registeredDevice(client));
  const phone = await client.ensurePhoneNumber({ phoneNumber, appDeviceId: device });
  if (!('phoneId' in phone)) throw new Error(phone.outcome);
  const flow = await client.initiateVerificationFlow({ appDeviceId: device, phoneId: phone.phoneId, purpose: 'registration' });
  if (flow.outcome !== 'created') throw new Error(flow.outcome);
  expect((await client.issueOtp(flow.flow.flowId)).outcome).toBe('issued');
}

/** Returns every number used. */
async function place(client: MembershipsClient, db: Queryable): Promise<{ numbers: string[]; twiceLocked: string; busyDevice: string }> {
  const numbers: string[] = [];
  const use = (n: string) => (numbers.push(n), n);
  // Eight days ago, outside the period: a verified flow and a lockout.
  await setClockOffset(db, -8 * 86_400);
  await verifiedClientFlow(client, { phoneNumber: use(usPhone()), purpose: 'registration' });
  const old = use(usPhone());
  for (let i = 0; i < 5; i++) await client.logLoginAttempt({ phoneNumber: old, outcome: 'invalid_passphrase', isSuccess: false });
  // Two days ago: 3 verified US flows and a verified GB one; one number locked twice (5 failures, the lockout ends, 5 more).
  await setClockOffset(db, -2 * 86_400);
  for (let i = 0; i < 3; i++) await verifiedClientFlow(client, { phoneNumber: use(usPhone()), purpose: 'registration' });
  await verifiedClientFlow(client, { phoneNumber: use(gbPhone()), purpose: 'registration' });
  const twiceLocked = use(usPhone());
  for (let i = 0; i < 5; i++) await client.logLoginAttempt({ phoneNumber: twiceLocked, outcome: 'invalid_passphrase', isSuccess: false });
  await advanceClock(db, 3600);
  for (let i = 0; i < 5; i++) await client.logLoginAttempt({ phoneNumber: twiceLocked, outcome: 'invalid_passphrase', isSuccess: false });
  // Today: a burst of 21 unverified flows on +1 415 (one device asks codes for 3 of those numbers).
  await setClockOffset(db, 0);
  const busyDevice = await registeredDevice(client);
  for (let i = 0; i < 3; i++) await startedFlow(client, use(usPhone()), busyDevice);
  for (let i = 0; i < 18; i++) await startedFlow(client, use(usPhone()));
  return { numbers, twiceLocked, busyDevice };
}

describe.each(engines)('audit on %s', (engine) => {
  it('counts what was placed in the period, names the twice-locked number masked, and flags the bursting prefix', async () => {
    const target = await createTestDatabase(engine, { withSchema: true });
    try {
      const placed = await withOpenDatabase(target, (db) =>
        place(createMembershipsClient({ db, secrets: { otpKeys: generateKeyring(), dataKeys: generateKeyring() } }), db),
      );
      const report = await audit({ ...target.config });
      expect(report.days).toBe(7);
      expect(report.previous).toBeNull();
      expect(report.snapshot).toMatchObject({ kept: true });
      expect(report.counts).toMatchObject({ flows: 25, codes: 25, lockouts: 2, failed_sign_ins: 10 });
      const failedLogins = report.limits.find((l) => l.limit === 'failed_logins')!;
      expect(failedLogins).toMatchObject({ hits: 2, allowed: report.counts.sign_in_attempts, allowedWhat: 'sign_in_attempts' });
      expect(report.limits.find((l) => l.limit === 'flows_per_phone')).toMatchObject({ hits: 0, allowed: 25, refusedPct: 0 });
      expect(report.repeatLocked).toEqual([{ number: `+1 …${placed.twiceLocked.slice(-2)}`, lockouts: 2, lastLockout: expect.any(Date) }]);
      expect(report.byCallingCode).toEqual([
        { key: '+1', flowsStarted: 24, flowsVerified: 3, codesIssued: 24, conversionPct: 12.5, codesPerVerification: 8 },
        { key: '+44', flowsStarted: 1, flowsVerified: 1, codesIssued: 1, conversionPct: 100, codesPerVerification: 1 },
      ]);
      expect(report.byPrefix).toEqual([
        { key: '+141', flowsStarted: 24, flowsVerified: 3, codesIssued: 24, conversionPct: 12.5, codesPerVerification: 8 },
        { key: '+4479', flowsStarted: 1, flowsVerified: 1, codesIssued: 1, conversionPct: 100, codesPerVerification: 1 },
      ]);
      expect(report.suspiciousPrefixes).toEqual([
        expect.objectContaining({
          key: '+141',
          flowsStarted: 24,
          flowsVerified: 3,
          // 21 today against 3 two days ago: a mean of 0.5 over the other 6 days.
          reasons: ['conversion 12.5 % (under 50 %)', "21 flows in one day, 42x the other days' mean"],
        }),
      ]);
      expect(report.busiestDevices[0]).toEqual({ device: placed.busyDevice.slice(0, 8), flowsStarted: 3, flowsVerified: 0, numbers: 3 });
      const text = JSON.stringify(report);
      for (const number of placed.numbers) expect(text).not.toContain(number.slice(-7));
    } finally {
      await target.drop();
    }
  });
});

describe('audit on the command line (server)', () => {
  it('prints the review and --json, neither with a phone number; bad arguments are exit 2', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      const placed = await withOpenDatabase(target, (db) =>
        place(createMembershipsClient({ db, secrets: { otpKeys: generateKeyring(), dataKeys: generateKeyring() } }), db),
      );
      const text = await runCli([...target.cliArgs, 'audit']);
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('numbers locked more than once (masked):');
      expect(text.stdout).toContain(`+1 …${placed.twiceLocked.slice(-2)}`);
      expect(text.stdout).toContain('prefixes worth a look');
      const json = await runCli([...target.cliArgs, 'audit', '--json', '--days', '30']);
      expect(json.code).toBe(0);
      const document = JSON.parse(json.stdout);
      expect(document.counts.flows).toBe(26);
      // The first review's snapshot is what this one compares with.
      expect(document.previous.summary).toMatchObject({ days: 7, counts: { flows: 25, lockouts: 2 }, hits: { failed_logins: 2 } });
      const third = await runCli([...target.cliArgs, 'audit', '--no-snapshot']);
      expect(third.stdout).toMatch(/since the last review \(.*, 30 days\): lockouts -1, failed sign-ins -5, flows -1, refused calls -1/);
      for (const output of [text.stdout, json.stdout]) for (const number of placed.numbers) expect(output).not.toContain(number.slice(-7));
      for (const args of [
        ['--days', '0'],
        ['--days', 'week'],
        ['--prefix-digits', '9'],
      ]) {
        const bad = await runCli([...target.cliArgs, 'audit', ...args]);
        expect(bad.code, args.join(' ')).toBe(2);
      }
    } finally {
      await target.drop();
    }
  });
});
