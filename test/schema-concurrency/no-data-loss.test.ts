/**
 * Redeploying never loses data: on a database filled through the procedures
 * (every one of the 10 tables holds rows), changing a procedure and adding a
 * versioned migration applies exactly those two, and every row of every table
 * is still there, unchanged.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../../src/db/database.js';
import { Migrator } from '../../src/migrator/migrator.js';
import { shippedMigrationsDir } from '../../src/sql-files.js';
import { engines, freshDatabaseEach } from '../support/databases.js';
import { advanceClock } from '../support/clock.js';
import { journalRows } from '../support/snapshot.js';
import {
  call,
  confirmLogin,
  createMembership,
  ensurePhone,
  initiateFlow,
  insertOtp,
  login,
  registerDevice,
  setSecureKey,
  updateOtpStatus,
} from './procedures.js';

/** The 10 tables and the order that makes their dumps deterministic. */
const tables: Record<string, string> = {
  app_devices: 'id',
  phone_numbers: 'id',
  phone_number_devices: 'phone_number_id, app_device_id',
  verification_flows: 'id',
  otp_records: 'id',
  failed_otp_attempts: 'id',
  memberships: 'id',
  membership_attempts: 'id',
  login_attempts: 'id',
  event_log: 'id',
};

/** A versioned migration that the shipped folder does not use (V012 may be taken by a shipped index migration). */
const NEW_VERSIONED = 'tables/V099__add_note.sql';
const CHANGED_PROCEDURE = 'procedures/R__log_login_attempt.sql';
const MARKER = '-- no-data-loss test: a harmless edit of the body';

/** Every row of every table, as JSON, without the column that the new migration adds. */
async function dumpAll(db: Queryable): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const [table, order] of Object.entries(tables)) {
    const { rows } = await db.query<{ r: unknown }>(`SELECT to_jsonb(t) - 'note' AS r FROM ecliptix.${table} t ORDER BY ${order}`);
    dump[table] = rows.map((row) => (typeof row.r === 'string' ? JSON.parse(row.r) : row.r));
  }
  return dump;
}

/** A whole journey through the procedures, so that every table holds rows. */
async function fill(db: Database): Promise<void> {
  const phone = '+15550200001';
  const deviceA = (await registerDevice(db)).app_device_id;
  const deviceB = (await registerDevice(db)).app_device_id;
  const phoneUid = (await ensurePhone(db, phone, 'US', deviceA)).phone_unique_id;
  expect((await ensurePhone(db, phone, 'US', deviceB)).outcome).toBe('associated');
  expect((await ensurePhone(db, '+15550200002')).outcome).toBe('created');

  const flow = await initiateFlow(db, deviceA, phoneUid, 'registration', 77);
  expect(flow.outcome).toBe('created');
  const flowUid = flow.flow_unique_id!;
  const firstOtp = (await insertOtp(db, flowUid, 'first-hash', 'first-salt')).otp_unique_id!;
  expect((await updateOtpStatus(db, firstOtp, 'failed')).outcome).toBe('updated');
  expect((await updateOtpStatus(db, firstOtp, 'failed')).outcome).toBe('updated');
  await advanceClock(db, 31); // past the resend cooldown, within the flow's minute
  const second = await insertOtp(db, flowUid, 'second-hash', 'second-salt');
  expect(second.outcome).toBe('created');
  const secondOtp = second.otp_unique_id!;
  expect((await updateOtpStatus(db, secondOtp, 'verified')).outcome).toBe('updated');

  const membership = await createMembership(db, flowUid, 77, secondOtp);
  expect(membership.outcome).toBe('created');
  expect((await createMembership(db, flowUid, 78, secondOtp)).outcome).toBe('connection_mismatch');
  const key = await setSecureKey(db, membership.membership_unique_id!, Buffer.from([1, 2, 3, 4]), flowUid);
  expect(key.outcome).toBe('updated');
  expect((await call(db, 'log_membership_attempt', [phoneUid, 'manual_review', false])).outcome).toBe('logged');

  // A pending login flow of the second device, with an OTP that gets expired.
  const loginFlow = await initiateFlow(db, deviceB, phoneUid, 'login');
  expect(loginFlow.outcome).toBe('created');
  expect((await insertOtp(db, loginFlow.flow_unique_id!)).outcome).toBe('created');
  expect((await call(db, 'expire_associated_otp', [loginFlow.flow_unique_id])).outcome).toBe('expired');

  // A key release, a wrong passphrase, another release and its confirmed sign-in.
  expect((await login(db, phone)).outcome).toBe('success');
  expect((await call(db, 'log_login_attempt', [phone, 'wrong_passphrase', false])).outcome).toBe('logged');
  expect((await login(db, phone)).outcome).toBe('success');
  expect((await confirmLogin(db, phone)).outcome).toBe('logged');
  // Five failures on an unknown number: a typed lockout row, then a locked attempt counted on it.
  for (let i = 0; i < 5; i++) expect((await login(db, '+15550209999')).outcome).toBe('phone_number_not_found');
  expect((await login(db, '+15550209999')).outcome).toBe('locked');
  const { rows: lockout } = await db.query('SELECT calls_while_locked FROM ecliptix.login_attempts WHERE locked_until IS NOT NULL');
  expect(lockout).toEqual([{ calls_while_locked: 1 }]);

  // A soft-deleted row must survive as well.
  await db.query('UPDATE ecliptix.phone_number_devices SET is_deleted = true WHERE app_device_id = $1', [deviceB]);

  // No routine writes event_log: append directly, as the application would.
  await db.query(
    "INSERT INTO ecliptix.event_log (event_type, message) VALUES ('membership_created', $1), ('lockout_started', 'phone +15550209999 locked')",
    [`membership ${membership.membership_unique_id}`],
  );
}

describe.each(engines)('no data loss on redeployment (%s)', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it('changing a procedure and adding a versioned migration apply exactly those two and keep every row of the 10 tables', async () => {
    const { target, db } = fresh;
    await fill(db);
    const before = await dumpAll(db);
    for (const [table, rows] of Object.entries(before)) expect(rows.length, `rows in ${table}`).toBeGreaterThan(0);
    const journalBefore = await journalRows(db);

    const migrations = join(target.workDir, 'migrations');
    cpSync(shippedMigrationsDir, migrations, { recursive: true });
    const procedureFile = join(migrations, CHANGED_PROCEDURE);
    const original = readFileSync(procedureFile, 'utf8');
    // The marker goes into the function's body (the file may start with a DO block of its own).
    const body = /(create or replace function[\s\S]*?\nbegin\n)/;
    expect(original).toMatch(body);
    writeFileSync(procedureFile, original.replace(body, `$1  ${MARKER}\n`));
    writeFileSync(join(migrations, NEW_VERSIONED), 'ALTER TABLE ecliptix.event_log ADD COLUMN note text;\n');

    const result = await new Migrator({ db, migrationsDir: migrations, lockTimeoutMs: 30_000 }).migrate();

    expect(result.applied.map((m) => m.script)).toEqual([NEW_VERSIONED, CHANGED_PROCEDURE]);
    const after = await dumpAll(db);
    for (const table of Object.keys(tables)) {
      expect(after[table]!.length, `row count of ${table}`).toBe(before[table]!.length);
      expect(after[table], `rows of ${table}`).toEqual(before[table]);
    }

    // The two changes took effect, and the journal only grew.
    const journalAfter = await journalRows(db);
    expect(journalAfter.slice(0, journalBefore.length)).toEqual(journalBefore);
    expect(journalAfter).toHaveLength(journalBefore.length + 2);
    const source = await db.query<{ src: string }>("SELECT prosrc AS src FROM pg_proc WHERE oid = 'ecliptix.log_login_attempt'::regproc");
    expect(source.rows[0]!.src).toContain(MARKER);
    const note = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'ecliptix' AND table_name = 'event_log' AND column_name = 'note'",
    );
    expect(note.rows[0]!.n).toBe(1);
    expect((await login(db, '+15550200001')).outcome).toBe('success');
    expect((await call(db, 'log_login_attempt', ['+15550200001', 'after_redeploy', true])).outcome).toBe('logged');

    // Migrating again changes nothing.
    expect((await new Migrator({ db, migrationsDir: migrations, lockTimeoutMs: 30_000 }).migrate()).applied).toEqual([]);
  });
});
