/**
 * The 9 trg_<table>_updated_at triggers: on every table with updated_at (all
 * but event_log), an UPDATE moves updated_at to the database clock, unless the
 * statement sets updated_at itself. The clock is moved forward (clock_offset)
 * so that the change is unmistakable.
 *
 * Each test touches only its own table, so one database per engine serves the
 * suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { HOUR, SECOND, call, countAllTables, dbNow, member, msBetween, rowsOf, setClock, type TableName, type Row } from './journey.js';

/** Each table, and an assignment that really changes its rows. */
const CHANGES: ReadonlyArray<[Exclude<TableName, 'event_log'>, string]> = [
  ['app_devices', 'device_type = device_type + 1'],
  ['phone_numbers', `region = 'ZZ'`],
  ['phone_number_devices', 'is_deleted = NOT is_deleted'],
  ['verification_flows', 'otp_count = otp_count + 1'],
  ['otp_records', `otp_hash = otp_hash || 'x'`],
  ['failed_otp_attempts', `attempt_time = attempt_time - interval '1 second'`],
  ['memberships', `creation_status = 'passphrase_set'`],
  ['membership_attempts', `outcome = outcome || '!'`],
  ['login_attempts', `outcome = outcome || '!'`],
];

describe.each(engines)('updated_at triggers on %s', (engine) => {
  let target: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
    db = await target.open();
    const m = await member(db);
    await member(db, { phone: m.phone }); // a second device: two rows in most tables
    const journey = await member(db);
    // A failed OTP check, on a fresh flow of the first device.
    const flow = await call(db, 'initiate_verification_flow', journey.deviceUid, journey.phoneUid, 'login', null);
    const otp = await call(db, 'insert_otp_record', flow.flow_unique_id, 'h', 's', new Date(Date.now() + HOUR), 'pending');
    await call(db, 'update_otp_status', otp.otp_unique_id, 'failed');
    await call(db, 'login_membership', m.phone);
    await call(db, 'log_login_attempt', m.phone, 'wrong_passphrase', false);
    const counts = await countAllTables(db);
    for (const [table] of CHANGES) expect(counts[table], table).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await db?.close();
    await target?.drop();
  });

  it('there is one BEFORE UPDATE FOR EACH ROW trigger per table with updated_at, and none on event_log', async () => {
    const triggers = await db.query<{
      table: string;
      name: string;
      timing_before: boolean;
      for_each_row: boolean;
      on_update: boolean;
      enabled: string;
    }>(
      `SELECT c.relname AS table, t.tgname AS name,
              (t.tgtype & 2) <> 0 AS timing_before, (t.tgtype & 1) <> 0 AS for_each_row,
              (t.tgtype & 16) <> 0 AS on_update, t.tgenabled AS enabled
         FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'ecliptix' AND NOT t.tgisinternal
        ORDER BY c.relname`,
    );
    expect(triggers.rows).toEqual(
      CHANGES.map(([table]) => table)
        .sort()
        .map((table) => ({
          table,
          name: `trg_${table}_updated_at`,
          timing_before: true,
          for_each_row: true,
          on_update: true,
          enabled: 'O',
        })),
    );
  });

  it.each(CHANGES.map(([table, change], i) => [table, change, i] as const))(
    '%s: updated_at follows the clock on UPDATE, unless set by the statement',
    async (table, change, i) => {
      await setClock(db, '0 seconds');
      const before = await rowsOf(db, table);
      const key = (r: Row) => String(r.id ?? `${r.phone_number_id}/${r.app_device_id}`);

      // Move the clock by a different amount for each table, then update every row.
      await setClock(db, `${i + 2} days`);
      const clock = await dbNow(db);
      const updated = await db.query(`UPDATE ecliptix.${table} SET ${change}`);
      expect(updated.rowCount).toBe(before.length);
      const after = new Map((await rowsOf(db, table)).map((r) => [key(r), r]));
      for (const old of before) {
        const now = after.get(key(old))!;
        expect(Math.abs(msBetween(clock, now.updated_at)), `${table} ${key(old)}`).toBeLessThan(30 * SECOND);
        expect(msBetween(old.updated_at, now.updated_at)).toBeGreaterThan((i + 2) * 24 * HOUR - 30 * SECOND);
        expect(now.created_at).toEqual(old.created_at);
      }

      // An updated_at given by the statement is kept.
      const chosen = new Date('2001-02-03T04:05:06.789Z');
      await db.query(`UPDATE ecliptix.${table} SET ${change}, updated_at = $1`, [chosen]);
      for (const row of await rowsOf(db, table)) expect(row.updated_at).toEqual(chosen);

      // And the next plain UPDATE moves it to the clock again.
      await db.query(`UPDATE ecliptix.${table} SET ${change}`);
      for (const row of await rowsOf(db, table)) expect(Math.abs(msBetween(clock, row.updated_at))).toBeLessThan(30 * SECOND);
    },
  );
});
