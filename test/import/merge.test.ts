/**
 * `import --merge` (#15): the original's members added to a database that
 * already has its own. A number both have is one identity (the target's
 * phone row stands for it), a device both have is one device, each side's
 * members still sign in, and importing the same original twice is refused
 * by its unique ids.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importDatabase } from '../../src/commands/import.js';
import { generateKeyring } from '../../src/client/keyring.js';
import { createMembershipsClient } from '../../src/client/memberships-client.js';
import { verifiedClientFlow } from '../client/client-harness.js';
import { engines, freshDatabaseEach } from '../support/databases.js';
import { databaseNow, makeDataset, writeStagingSchema } from './dataset.js';

const DATA_KEYS = generateKeyring('data-2026');
const OTP_KEYS = generateKeyring('otp-2026');

describe.each(engines)('import --merge on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it("a number and a device the target already has become the target's; both sides sign in; a second import of the same original is refused", async () => {
    const { db } = fresh;
    const client = createMembershipsClient({ db, secrets: { otpKeys: OTP_KEYS, dataKeys: DATA_KEYS } });
    const data = makeDataset({ members: 40, seed: 11, now: await databaseNow(db) });
    const originalOnly = data.members.find((m) => m.secureKey && !m.lockedUntil && !data.oneFailureFromLockout.includes(m.phoneNumber))!;
    const shared = data.members.find(
      (m) => m !== originalOnly && m.secureKey && !m.lockedUntil && !data.oneFailureFromLockout.includes(m.phoneNumber),
    )!;

    // The target's own member, on a number the original also has, on a device the original also has.
    const sharedDevice = data.rows.AppDevices![0]!;
    const device = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: sharedDevice[2] as string });
    const flow = await verifiedClientFlow(client, { phoneNumber: shared.phoneNumber, purpose: 'registration', deviceId: device.deviceId });
    const created = await client.createMembership({ flowId: flow.flowId, otpId: flow.otpId });
    if (created.outcome !== 'created') throw new Error(created.outcome);
    const ownKey = Buffer.alloc(32, 7);
    expect((await client.setSecureKey({ membershipId: created.membershipId, flowId: flow.flowId, secureKey: ownKey })).outcome).toBe(
      'updated',
    );

    await writeStagingSchema(db, data);
    await expect(importDatabase({ db, dataKeys: DATA_KEYS, keepStaging: true })).rejects.toThrow(
      /already holds data \(1 membership\(s\)\).*--merge/,
    );
    const report = await importDatabase({ db, dataKeys: DATA_KEYS, merge: true, keepStaging: true });
    expect(report.status).toBe('imported');
    const phones = report.tables.find((t) => t.table === 'phone_numbers')!;
    expect(phones.notes.find((n) => n.reason.includes("target's phone"))?.rows).toBeGreaterThanOrEqual(1);
    expect(report.tables.find((t) => t.table === 'app_devices')!.merged).toBe(1);

    // One active phone per number, the target's for the shared one.
    const rows = (
      await db.query<{ unique_id: string; is_deleted: boolean }>(
        'select unique_id, is_deleted from ecliptix.phone_numbers where phone_number = $1 order by id',
        [shared.phoneNumber],
      )
    ).rows;
    expect(rows.filter((r) => !r.is_deleted)).toEqual([{ unique_id: flow.phoneId, is_deleted: false }]);
    expect(
      Number(
        (
          await db.query<{ n: number }>(
            'select count(*) n from (select phone_number from ecliptix.phone_numbers where not is_deleted group by 1 having count(*) > 1) d',
          )
        ).rows[0]!.n,
      ),
    ).toBe(0);
    // The original's membership of that number is on the target's phone now.
    const moved = (
      await db.query<{ phone_number_id: string }>('select phone_number_id from ecliptix.memberships where unique_id = $1', [
        shared.membershipId,
      ])
    ).rows[0]!;
    expect(moved.phone_number_id).toBe(flow.phoneId);

    // The target's member signs in with their key (the newest membership of the number), the original's with theirs.
    const own = await client.login(shared.phoneNumber);
    expect(own.outcome === 'success' && Buffer.from(own.secureKey).equals(ownKey)).toBe(true);
    const theirs = await client.login(originalOnly.phoneNumber);
    expect(theirs.outcome === 'success' && Buffer.from(theirs.secureKey).equals(originalOnly.secureKey!)).toBe(true);

    const again = await importDatabase({ db, dataKeys: DATA_KEYS, merge: true });
    expect(again.status).toBe('invalid');
    expect(again.problems).toContainEqual(
      expect.objectContaining({
        table: 'Memberships',
        column: 'UniqueId',
        problem: 'is already in ecliptix.memberships (imported before?)',
        rows: data.rows.Memberships!.length,
      }),
    );
  });
});
