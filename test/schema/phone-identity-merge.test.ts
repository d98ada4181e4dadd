/**
 * V013 on a database filled before the change: the previous release's
 * routines made one phone_numbers row per (number, region); upgrading merges
 * each number into its oldest row without losing a row of history — every
 * reference re-pointed, collisions on the partial unique indexes resolved by
 * expiring or soft-deleting the newer row, each merge in event_log.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../../src/db/database.js';
import { Migrator } from '../../src/migrator/migrator.js';
import { shippedMigrationsDir } from '../../src/sql-files.js';
import { TABLE_NAMES } from '../../src/schema/manifest.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { BEFORE_LIMITS_FIX, migrateAsAt } from '../support/old-migrations.js';

type Row = Record<string, unknown>;

async function call(db: Queryable, name: string, args: readonly unknown[]): Promise<Row> {
  const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
  const { rows } = await db.query<Row>(`SELECT * FROM ecliptix.${name}(${placeholders})`, args);
  return rows[0]!;
}

describe.each(engines)('V013 merges the phone numbers of a database filled before it, on %s', (engine) => {
  let target: TestDatabase;
  let db: Database;

  beforeEach(async () => {
    target = await createTestDatabase(engine);
    db = await target.open();
    await migrateAsAt(db, BEFORE_LIMITS_FIX);
  });
  afterEach(async () => {
    await db?.close();
    await target?.drop();
  });

  async function rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await db.query<Row>(sql, params)).rows;
  }

  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    // Table names come from the manifest (constants).
    for (const table of TABLE_NAMES) counts[table] = Number((await rows(`SELECT count(*) AS n FROM ecliptix.${table}`))[0]!.n);
    return counts;
  }

  /** A flow of (device, phone) with one OTP, verified when asked (the old routines, as an application used them). */
  async function flowWithOtp(device: string, phoneUid: string, purpose: string, verify: boolean): Promise<{ flow: string; otp: string }> {
    const flow = (await call(db, 'initiate_verification_flow', [device, phoneUid, purpose, null])).flow_unique_id as string;
    const { rows: otp } = await db.query<Row>(
      "SELECT * FROM ecliptix.insert_otp_record($1, 'h', 's', ecliptix_internal.now() + interval '5 minutes')",
      [flow],
    );
    const otpUid = otp[0]!.otp_unique_id as string;
    if (verify) expect((await call(db, 'update_otp_status', [otpUid, 'verified'])).outcome).toBe('updated');
    else expect((await call(db, 'update_otp_status', [otpUid, 'failed'])).outcome).toBe('updated');
    return { flow, otp: otpUid };
  }

  it('keeps the oldest row of each number, re-points every reference, loses no row, and records each merge', async () => {
    const number = '+12025550123';
    const other = '+442071838750';
    const deviceA = (await call(db, 'register_app_device_if_not_exists', [randomUUID(), randomUUID(), 1])).unique_id as string;
    const deviceB = (await call(db, 'register_app_device_if_not_exists', [randomUUID(), randomUUID(), 1])).unique_id as string;
    const deviceC = (await call(db, 'register_app_device_if_not_exists', [randomUUID(), randomUUID(), 1])).unique_id as string;

    // Three identities of one number (US, NULL, GB), each linked to device A — and B and C on some.
    const us = (await call(db, 'ensure_phone_number', [number, 'US', deviceA])).unique_id as string;
    const none = (await call(db, 'ensure_phone_number', [number, null, deviceA])).unique_id as string;
    const gb = (await call(db, 'ensure_phone_number', [number, 'GB', deviceB])).unique_id as string;
    await call(db, 'ensure_phone_number', [number, 'GB', deviceA]);
    await call(db, 'ensure_phone_number', [number, null, deviceC]);
    const single = (await call(db, 'ensure_phone_number', [other, 'GB', deviceA])).unique_id as string;
    expect(new Set([us, none, gb]).size).toBe(3);

    // Each identity has its own history: memberships of device A on two of them, pending flows of
    // device A for the same purpose on two, attempts, OTPs, failed checks.
    const usFlow = await flowWithOtp(deviceA, us, 'registration', true);
    const noneFlow = await flowWithOtp(deviceA, none, 'registration', true);
    const gbFlow = await flowWithOtp(deviceB, gb, 'registration', true);
    const usMember = (await call(db, 'create_membership', [usFlow.flow, null, usFlow.otp, 'otp_verified'])).membership_unique_id as string;
    const noneMember = (await call(db, 'create_membership', [noneFlow.flow, null, noneFlow.otp, 'otp_verified']))
      .membership_unique_id as string;
    const gbMember = (await call(db, 'create_membership', [gbFlow.flow, null, gbFlow.otp, 'otp_verified'])).membership_unique_id as string;
    const pendingUs = (await call(db, 'initiate_verification_flow', [deviceA, us, 'login', null])).flow_unique_id as string;
    const pendingNone = (await call(db, 'initiate_verification_flow', [deviceA, none, 'login', null])).flow_unique_id as string;
    await flowWithOtp(deviceC, none, 'password_recovery', false);
    await call(db, 'log_membership_attempt', [gb, 'audit', false]);
    await call(db, 'login_membership', [number]);

    const before = await rowCounts();
    const { rows: ids } = await db.query<{ id: string; unique_id: string }>(
      'SELECT id::text, unique_id FROM ecliptix.phone_numbers WHERE phone_number = $1 ORDER BY id',
      [number],
    );
    const keep = ids[0]!;
    expect(keep.unique_id).toBe(us);

    const result = await new Migrator({ db, migrationsDir: shippedMigrationsDir, lockTimeoutMs: 10_000 }).migrate();
    expect(result.applied.map((m) => m.script)).toContain('V013__one_identity_per_phone_number.sql');

    // Not a row lost.
    expect(await rowCounts()).toEqual({ ...before, event_log: before.event_log! + 2 });

    // One active row per number: the oldest, with its region; the others soft-deleted.
    expect(
      await rows('SELECT unique_id, region, is_deleted FROM ecliptix.phone_numbers WHERE phone_number = $1 ORDER BY id', [number]),
    ).toEqual([
      { unique_id: us, region: 'US', is_deleted: false },
      { unique_id: none, region: null, is_deleted: true },
      { unique_id: gb, region: 'GB', is_deleted: true },
    ]);
    expect(await rows('SELECT unique_id, is_deleted FROM ecliptix.phone_numbers WHERE phone_number = $1', [other])).toEqual([
      { unique_id: single, is_deleted: false },
    ]);

    // Every reference on the kept row.
    const keptId = keep.id;
    expect(
      await rows(
        'SELECT count(*)::int AS n FROM ecliptix.verification_flows f JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id WHERE p.phone_number = $1 AND p.id <> $2::bigint',
        [number, keptId],
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      await rows(
        'SELECT count(*)::int AS n FROM ecliptix.otp_records o JOIN ecliptix.phone_numbers p ON p.id = o.phone_number_id WHERE p.phone_number = $1 AND p.id <> $2::bigint',
        [number, keptId],
      ),
    ).toEqual([{ n: 0 }]);
    expect(await rows('SELECT count(*)::int AS n FROM ecliptix.membership_attempts WHERE phone_number_id IN ($1, $2)', [none, gb])).toEqual(
      [{ n: 0 }],
    );
    expect(await rows('SELECT count(*)::int AS n FROM ecliptix.memberships WHERE phone_number_id IN ($1, $2)', [none, gb])).toEqual([
      { n: 0 },
    ]);

    // Memberships: device A had one on US and one on NULL — the newer one is soft-deleted; B's moved.
    expect(await rows('SELECT unique_id, is_deleted FROM ecliptix.memberships WHERE phone_number_id = $1 ORDER BY id', [us])).toEqual([
      { unique_id: usMember, is_deleted: false },
      { unique_id: noneMember, is_deleted: true },
      { unique_id: gbMember, is_deleted: false },
    ]);

    // Pending flows: device A's login flows on US and NULL — one stays pending, the newer one expired.
    expect(
      await rows('SELECT unique_id, status FROM ecliptix.verification_flows WHERE unique_id IN ($1, $2) ORDER BY id', [
        pendingUs,
        pendingNone,
      ]),
    ).toEqual([
      { unique_id: pendingUs, status: 'pending' },
      { unique_id: pendingNone, status: 'expired' },
    ]);

    // Links: one per device on the kept phone, exactly one primary; the duplicates' extra links kept, soft-deleted.
    expect(
      await rows('SELECT app_device_id, is_deleted FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 ORDER BY app_device_id', [
        us,
      ]),
    ).toEqual([deviceA, deviceB, deviceC].sort().map((device) => ({ app_device_id: device, is_deleted: false })));
    expect(
      await rows(
        'SELECT count(*)::int AS n FROM ecliptix.phone_number_devices WHERE phone_number_id = $1 AND is_primary AND NOT is_deleted',
        [us],
      ),
    ).toEqual([{ n: 1 }]);
    expect(
      await rows('SELECT count(*)::int AS n FROM ecliptix.phone_number_devices WHERE phone_number_id IN ($1, $2) AND NOT is_deleted', [
        none,
        gb,
      ]),
    ).toEqual([{ n: 0 }]);

    // Each merge recorded, by unique_id only.
    const events = await rows("SELECT message FROM ecliptix.event_log WHERE event_type = 'phone_number_merged' ORDER BY id");
    expect(events).toEqual([
      { message: `phone number ${none} merged into ${us} (one identity per E.164 number)` },
      { message: `phone number ${gb} merged into ${us} (one identity per E.164 number)` },
    ]);
    expect(JSON.stringify(events)).not.toContain(number);

    // From now on, one identity whatever the region.
    expect(await call(db, 'ensure_phone_number', [number, 'CA', null])).toEqual({ outcome: 'exists', phone_unique_id: us, success: true });
  });
});
