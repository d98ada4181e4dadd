/**
 * Sign-in is not an account-enumeration oracle: an unknown number, a number
 * without a usable membership and a wrong attempt all read the same to the
 * person signing in, and unknown numbers are locked out exactly like known ones.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/databases.js';
import { clientFixtureEach, nextUsPhone } from '../client/client-harness.js';

describe.each(engines)('login enumeration on %s', (engine) => {
  const fx = clientFixtureEach(engine);

  async function memberWithoutKey(): Promise<string> {
    const { client } = fx;
    const phoneNumber = nextUsPhone();
    const device = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() });
    await client.ensurePhoneNumber({ phoneNumber, appDeviceId: device.deviceId });
    return phoneNumber;
  }

  it('unknown, membership-less and wrongly-answered numbers look alike, and all lock the same way', async () => {
    const { client } = fx;
    const unknown = nextUsPhone();
    const known = await memberWithoutKey();

    const first = [await client.login(unknown), await client.login(known)];
    expect(first.map((r) => r.outcome)).toEqual(['phone_number_not_found', 'membership_not_found']); // for the server's logs
    expect(first.map((r) => r.publicOutcome)).toEqual(['invalid_credentials', 'invalid_credentials']); // for the person

    for (let i = 0; i < 3; i++) {
      await client.login(unknown);
      await client.login(known);
    }
    const fifth = [await client.login(unknown), await client.login(known)];
    expect(fifth.map((r) => r.publicOutcome)).toEqual(['too_many_attempts', 'too_many_attempts']);
    const locked = [await client.login(unknown), await client.login(known)];
    expect(locked.map((r) => r.outcome)).toEqual(['locked', 'locked']);
    expect(locked.map((r) => r.publicOutcome)).toEqual(['too_many_attempts', 'too_many_attempts']);
    const [a, b] = locked.map((r) => ('retryAfterMs' in r ? r.retryAfterMs : null));
    expect(Math.abs(a! - b!)).toBeLessThanOrEqual(1000);
    // No refusal carries an identifier of the number or its membership.
    for (const refusal of [...first, ...fifth, ...locked]) {
      expect(Object.keys(refusal).sort()).toEqual(['outcome', 'publicOutcome', 'retryAfterMs']);
    }
    // The recovery check answers a known number without a membership, and an unknown one, without an id too.
    expect(await client.verifyPhoneForSecretKeyRecovery({ phoneNumber: known })).toEqual({ outcome: 'membership_not_found' });
    expect(await client.verifyPhoneForSecretKeyRecovery({ phoneNumber: unknown })).toEqual({ outcome: 'phone_number_not_found' });
  });
});
