/**
 * Devices and phone numbers: register_app_device_if_not_exists,
 * ensure_phone_number, get_phone_number, get_phone_number_details and
 * verify_phone_for_secret_key_recovery — every outcome, the returned row and
 * the resulting table contents, on PGlite and on a real PostgreSQL server.
 * An E.164 number has one identity (one active row) whatever the region: the
 * region describes the number and is never part of its key (V013).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import {
  call,
  callRows,
  countOf,
  dbNow,
  ensurePhone,
  member,
  newPhone,
  registerDevice,
  rowsOf,
  setClock,
  snapshotAllTables,
  type RegisterResult,
} from './journey.js';

describe.each(engines)('devices and phone numbers on %s', (engine) => {
  let target: TestDatabase;
  let db: Database;

  beforeEach(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
    db = await target.open();
  });
  afterEach(async () => {
    await db.close();
    await target.drop();
  });

  describe('register_app_device_if_not_exists', () => {
    it('creates a device (status 2), then finds it (status 1) and leaves it unchanged; a soft-deleted one is created again', async () => {
      const appInstanceId = randomUUID();
      const deviceId = randomUUID();
      const before = await dbNow(db);

      const created = await call<RegisterResult>(db, 'register_app_device_if_not_exists', appInstanceId, deviceId, 3);
      expect(created).toEqual({ outcome: 'created', app_device_id: expect.any(String), status: 2 });

      const rows = await rowsOf(db, 'app_devices');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        unique_id: created.app_device_id,
        app_instance_id: appInstanceId,
        device_id: deviceId,
        device_type: 3,
        is_deleted: false,
      });
      expect(rows[0]!.created_at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
      expect(rows[0]!.updated_at).toEqual(rows[0]!.created_at);

      // Same device id, other instance and type: found, and left as it was.
      const again = await call<RegisterResult>(db, 'register_app_device_if_not_exists', randomUUID(), deviceId, 7);
      expect(again).toEqual({ outcome: 'exists', app_device_id: created.app_device_id, status: 1 });
      expect(await rowsOf(db, 'app_devices')).toEqual(rows);

      // The default device type is 1.
      const other = await call<RegisterResult>(db, 'register_app_device_if_not_exists', appInstanceId, randomUUID());
      expect(other.outcome).toBe('created');
      expect((await rowsOf(db, 'app_devices', 'unique_id = $1', [other.app_device_id]))[0]!.device_type).toBe(1);
      expect(await countOf(db, 'app_devices')).toBe(2);

      // A soft-deleted device id is registered again as a new row.
      await db.query('UPDATE ecliptix.app_devices SET is_deleted = true WHERE unique_id = $1', [created.app_device_id]);
      const reborn = await call<RegisterResult>(db, 'register_app_device_if_not_exists', appInstanceId, deviceId, 1);
      expect(reborn).toEqual({ outcome: 'created', app_device_id: expect.any(String), status: 2 });
      expect(reborn.app_device_id).not.toBe(created.app_device_id);
      const versions = await rowsOf(db, 'app_devices', 'device_id = $1', [deviceId]);
      expect(versions.map((r) => [r.unique_id, r.is_deleted])).toEqual([
        [created.app_device_id, true],
        [reborn.app_device_id, false],
      ]);
    });

    it('creates exactly one row for concurrent calls with one device id', async () => {
      const deviceId = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => call<RegisterResult>(db, 'register_app_device_if_not_exists', randomUUID(), deviceId, 1)),
      );
      expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'exists')).toHaveLength(7);
      expect(new Set(results.map((r) => r.app_device_id)).size).toBe(1);
      expect(await countOf(db, 'app_devices')).toBe(1);
    });
  });

  describe('ensure_phone_number', () => {
    it('created, exists (one row per number, whatever the region), *_but_app_device_not_found (no identifier), and a soft-deleted phone created anew', async () => {
      const phone = newPhone();
      const created = await ensurePhone(db, phone);
      expect(created).toEqual({ outcome: 'created', phone_unique_id: expect.any(String), success: true });
      expect(await ensurePhone(db, phone)).toEqual({ outcome: 'exists', phone_unique_id: created.phone_unique_id, success: true });
      expect(await ensurePhone(db, phone, null)).toEqual({ outcome: 'exists', phone_unique_id: created.phone_unique_id, success: true });

      // A region for a number that has none is stored; the number keeps its identity.
      expect(await ensurePhone(db, phone, 'US')).toEqual({ outcome: 'exists', phone_unique_id: created.phone_unique_id, success: true });
      expect(await ensurePhone(db, phone, 'US')).toEqual({ outcome: 'exists', phone_unique_id: created.phone_unique_id, success: true });
      // Another region (or none) for a known number is ignored: no second identity, and the region stays.
      const before = await snapshotAllTables(db);
      for (const region of ['GB', 'CA', '001', null]) {
        expect(await ensurePhone(db, phone, region)).toEqual({
          outcome: 'exists',
          phone_unique_id: created.phone_unique_id,
          success: true,
        });
      }
      expect(await snapshotAllTables(db)).toEqual(before);

      const rows = await rowsOf(db, 'phone_numbers');
      expect(rows.map((r) => [r.unique_id, r.phone_number, r.region, r.is_deleted])).toEqual([
        [created.phone_unique_id, phone, 'US', false],
      ]);
      expect(await countOf(db, 'phone_number_devices')).toBe(0);

      // A region given at creation is stored; '001' is the region of a non-geographic number (+800).
      const freephone = await ensurePhone(db, '+80012345678', '001');
      expect(freephone).toEqual({ outcome: 'created', phone_unique_id: expect.any(String), success: true });
      expect(await rowsOf(db, 'phone_numbers', 'unique_id = $1', [freephone.phone_unique_id])).toEqual([
        expect.objectContaining({ phone_number: '+80012345678', region: '001', is_deleted: false }),
      ]);

      // An unknown or soft-deleted device: success = false and no identifier; the phone is created or kept, nothing is linked.
      const other = newPhone();
      const unknown = randomUUID();
      const invalid = { phone_unique_id: null, success: false };
      expect(await ensurePhone(db, other, 'DE', unknown)).toEqual({ ...invalid, outcome: 'created_but_app_device_not_found' });
      const [kept] = await rowsOf(db, 'phone_numbers', 'phone_number = $1', [other]);
      expect(kept).toMatchObject({ phone_number: other, region: 'DE', is_deleted: false });
      expect(await ensurePhone(db, other, 'DE', unknown)).toEqual({ ...invalid, outcome: 'exists_but_app_device_not_found' });
      const gone = await registerDevice(db);
      await db.query('UPDATE ecliptix.app_devices SET is_deleted = true WHERE unique_id = $1', [gone.deviceUid]);
      expect(await ensurePhone(db, other, 'DE', gone.deviceUid)).toEqual({ ...invalid, outcome: 'exists_but_app_device_not_found' });
      expect(await rowsOf(db, 'phone_numbers', 'phone_number = $1', [other])).toEqual([kept]);
      expect(await ensurePhone(db, other, 'DE')).toEqual({ outcome: 'exists', phone_unique_id: kept!.unique_id, success: true });
      expect(await countOf(db, 'phone_number_devices')).toBe(0);

      // A soft-deleted phone is created anew, and the same number can be soft-deleted twice (Fix).
      const third = newPhone();
      const v1 = await ensurePhone(db, third, 'FR');
      await db.query('UPDATE ecliptix.phone_numbers SET is_deleted = true WHERE unique_id = $1', [v1.phone_unique_id]);
      const v2 = await ensurePhone(db, third, 'FR');
      expect(v2.outcome).toBe('created');
      expect(v2.phone_unique_id).not.toBe(v1.phone_unique_id);
      await db.query('UPDATE ecliptix.phone_numbers SET is_deleted = true WHERE unique_id = $1', [v2.phone_unique_id]);
      const v3 = await ensurePhone(db, third, 'FR');
      expect(v3.outcome).toBe('created');
      expect((await rowsOf(db, 'phone_numbers', 'phone_number = $1', [third])).map((r) => [r.unique_id, r.is_deleted])).toEqual([
        [v1.phone_unique_id, true],
        [v2.phone_unique_id, true],
        [v3.phone_unique_id, false],
      ]);
    });

    it('links devices: created_and_associated, associated; the first active link is primary; re-activates soft-deleted links', async () => {
      const phone = newPhone();
      const a = await registerDevice(db);
      const b = await registerDevice(db);

      const first = await ensurePhone(db, phone, 'GB', a.deviceUid);
      expect(first).toEqual({ outcome: 'created_and_associated', phone_unique_id: expect.any(String), success: true });
      const second = await ensurePhone(db, phone, 'GB', b.deviceUid);
      expect(second).toEqual({ outcome: 'associated', phone_unique_id: first.phone_unique_id, success: true });
      // Linking an already-linked device again: associated, nothing duplicated or changed.
      const linksBefore = await rowsOf(db, 'phone_number_devices');
      expect(await ensurePhone(db, phone, 'GB', a.deviceUid)).toEqual({
        outcome: 'associated',
        phone_unique_id: first.phone_unique_id,
        success: true,
      });
      expect(await rowsOf(db, 'phone_number_devices')).toEqual(linksBefore);

      const links = await db.query<{ app_device_id: string; is_primary: boolean; is_deleted: boolean }>(
        'SELECT app_device_id, is_primary, is_deleted FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 ORDER BY created_at, app_device_id',
        [first.phone_unique_id],
      );
      expect(links.rows).toEqual([
        { app_device_id: a.deviceUid, is_primary: true, is_deleted: false },
        { app_device_id: b.deviceUid, is_primary: false, is_deleted: false },
      ]);
      expect(await countOf(db, 'phone_numbers')).toBe(1);
      const phoneUid = first.phone_unique_id;

      // Soft-delete the secondary link and re-link it: same row, active again, still secondary.
      await db.query('UPDATE ecliptix.phone_number_devices SET is_deleted = true WHERE app_device_id = $1', [b.deviceUid]);
      await setClock(db, '1 minute');
      expect(await ensurePhone(db, phone, 'GB', b.deviceUid)).toEqual({ outcome: 'associated', phone_unique_id: phoneUid, success: true });
      let linkB = (await rowsOf(db, 'phone_number_devices', 'app_device_id = $1', [b.deviceUid]))[0]!;
      expect(linkB).toMatchObject({ is_deleted: false, is_primary: false });
      expect(linkB.updated_at.getTime()).toBeGreaterThan(linkB.created_at.getTime());

      // Soft-delete the primary link: re-linking A makes it primary again (B is not primary).
      await db.query('UPDATE ecliptix.phone_number_devices SET is_deleted = true WHERE app_device_id = $1', [a.deviceUid]);
      expect((await ensurePhone(db, phone, 'GB', a.deviceUid)).outcome).toBe('associated');
      const linkA = (await rowsOf(db, 'phone_number_devices', 'app_device_id = $1', [a.deviceUid]))[0]!;
      expect(linkA).toMatchObject({ is_deleted: false, is_primary: true });
      linkB = (await rowsOf(db, 'phone_number_devices', 'app_device_id = $1', [b.deviceUid]))[0]!;
      expect(linkB).toMatchObject({ is_deleted: false, is_primary: false });

      // Soft-delete it again; a new device C linked meanwhile becomes primary, so A comes back secondary.
      await db.query('UPDATE ecliptix.phone_number_devices SET is_deleted = true WHERE app_device_id = $1', [a.deviceUid]);
      const c = await registerDevice(db);
      expect((await ensurePhone(db, phone, 'GB', c.deviceUid)).outcome).toBe('associated');
      expect((await ensurePhone(db, phone, 'GB', a.deviceUid)).outcome).toBe('associated');
      const final = await db.query<{ app_device_id: string; is_primary: boolean; is_deleted: boolean }>(
        'SELECT app_device_id, is_primary, is_deleted FROM ecliptix.phone_number_devices WHERE phone_number_id = $1',
        [phoneUid],
      );
      expect(new Map(final.rows.map((r) => [r.app_device_id, [r.is_primary, r.is_deleted]]))).toEqual(
        new Map([
          [a.deviceUid, [false, false]],
          [b.deviceUid, [false, false]],
          [c.deviceUid, [true, false]],
        ]),
      );
    });

    it('makes exactly one primary link and one phone for concurrent calls, whatever regions they give', async () => {
      const phone = newPhone();
      const devices = await Promise.all(Array.from({ length: 6 }, () => registerDevice(db)));
      const regions = [null, 'US', 'GB', null, 'CA', 'US'];
      const results = await Promise.all(devices.map((d, i) => ensurePhone(db, phone, regions[i], d.deviceUid)));
      expect(results.filter((r) => r.outcome === 'created_and_associated')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'associated')).toHaveLength(5);
      expect(new Set(results.map((r) => r.phone_unique_id)).size).toBe(1);
      expect(await countOf(db, 'phone_numbers')).toBe(1);
      expect(await countOf(db, 'phone_number_devices')).toBe(6);
      expect(await countOf(db, 'phone_number_devices', 'is_primary')).toBe(1);
      // The number's region is one of those given (the creator's, or the first given after a NULL one).
      const [row] = await rowsOf(db, 'phone_numbers');
      expect([null, 'US', 'GB', 'CA']).toContain(row!.region);
    });
  });

  describe('get_phone_number and get_phone_number_details', () => {
    it('return the active phone, and no row for an unknown or soft-deleted one', async () => {
      const withRegion = await ensurePhone(db, '+447700900123', 'GB');
      const withoutRegion = await ensurePhone(db, '+12025550143');

      expect(await callRows(db, 'get_phone_number', withRegion.phone_unique_id)).toEqual([{ phone_number: '+447700900123', region: 'GB' }]);
      expect(await callRows(db, 'get_phone_number', withoutRegion.phone_unique_id)).toEqual([
        { phone_number: '+12025550143', region: null },
      ]);
      expect(await callRows(db, 'get_phone_number_details', withRegion.phone_unique_id)).toEqual([
        { phone_number: '+447700900123', region: 'GB', phone_unique_id: withRegion.phone_unique_id },
      ]);
      expect(await callRows(db, 'get_phone_number_details', withoutRegion.phone_unique_id)).toEqual([
        { phone_number: '+12025550143', region: null, phone_unique_id: withoutRegion.phone_unique_id },
      ]);

      expect(await callRows(db, 'get_phone_number', randomUUID())).toEqual([]);
      expect(await callRows(db, 'get_phone_number_details', randomUUID())).toEqual([]);

      await db.query('UPDATE ecliptix.phone_numbers SET is_deleted = true WHERE unique_id = $1', [withRegion.phone_unique_id]);
      expect(await callRows(db, 'get_phone_number', withRegion.phone_unique_id)).toEqual([]);
      expect(await callRows(db, 'get_phone_number_details', withRegion.phone_unique_id)).toEqual([]);
      expect(await callRows(db, 'get_phone_number', withoutRegion.phone_unique_id)).toHaveLength(1);
    });
  });

  describe('verify_phone_for_secret_key_recovery', () => {
    type Recovery = { outcome: string; phone_unique_id: string | null };
    const recovery = (phone: string, region: string | null = null) =>
      call<Recovery>(db, 'verify_phone_for_secret_key_recovery', phone, region);

    it('phone_number_not_found, membership_not_found, secure_key_not_set, membership_blocked, eligible_for_recovery; read-only', async () => {
      // phone_number_not_found: unknown number.
      expect(await recovery(newPhone())).toEqual({ outcome: 'phone_number_not_found', phone_unique_id: null });

      // membership_not_found: a phone without membership. A refusal discloses no identifier.
      const lonely = await ensurePhone(db, newPhone(), 'US');
      const lonelyNumber = (await callRows(db, 'get_phone_number', lonely.phone_unique_id))[0]!.phone_number as string;
      expect(await recovery(lonelyNumber)).toEqual({ outcome: 'membership_not_found', phone_unique_id: null });
      expect(await recovery(lonelyNumber, 'US')).toEqual({ outcome: 'membership_not_found', phone_unique_id: null });
      // The region no longer selects: the number has one identity whatever its region.
      expect(await recovery(lonelyNumber, 'CA')).toEqual({ outcome: 'membership_not_found', phone_unique_id: null });

      // secure_key_not_set: a membership without a key.
      const noKey = await member(db, { secureKey: null });
      expect(await recovery(noKey.phone)).toEqual({ outcome: 'secure_key_not_set', phone_unique_id: null });

      // eligible_for_recovery: a membership with a key.
      const eligible = await member(db);
      expect(await recovery(eligible.phone)).toEqual({ outcome: 'eligible_for_recovery', phone_unique_id: eligible.phoneUid });

      // membership_blocked.
      await db.query(`UPDATE ecliptix.memberships SET status = 'blocked' WHERE unique_id = $1`, [eligible.membershipUid]);
      expect(await recovery(eligible.phone)).toEqual({ outcome: 'membership_blocked', phone_unique_id: null });

      // A soft-deleted membership is no membership; a soft-deleted phone is no phone.
      await db.query('UPDATE ecliptix.memberships SET is_deleted = true WHERE unique_id = $1', [eligible.membershipUid]);
      expect(await recovery(eligible.phone)).toEqual({ outcome: 'membership_not_found', phone_unique_id: null });
      await db.query('UPDATE ecliptix.phone_numbers SET is_deleted = true WHERE unique_id = $1', [eligible.phoneUid]);
      expect(await recovery(eligible.phone)).toEqual({ outcome: 'phone_number_not_found', phone_unique_id: null });

      // With several memberships (one per device), the active one with a key is judged; nothing is written.
      const withKey = await member(db);
      // A second device of the same phone, newer membership, no key yet.
      await member(db, { phone: withKey.phone, secureKey: null });
      const before = await snapshotAllTables(db);
      expect(await recovery(withKey.phone)).toEqual({ outcome: 'eligible_for_recovery', phone_unique_id: withKey.phoneUid });
      expect(await recovery(withKey.phone, 'GB')).toEqual({ outcome: 'eligible_for_recovery', phone_unique_id: withKey.phoneUid });
      expect(await recovery(withKey.phone, '001')).toEqual({ outcome: 'eligible_for_recovery', phone_unique_id: withKey.phoneUid });
      expect(await snapshotAllTables(db)).toEqual(before);
    });
  });
});
