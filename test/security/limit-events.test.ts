/**
 * The routines record their limits' refusals (issue 12; V020,
 * migrations/internal/R__limit_hits.sql): every hit counted in
 * ecliptix_internal.limit_hits per (hour, limit, country calling code), and
 * an event in ecliptix.event_log at a transition only — a lockout started, a
 * per-flow cap that ended a flow, the first refusal of an episode. Each limit
 * is driven to refusal through the routines and, where it applies, through
 * start_verification / check_code; the exact counters and events are checked,
 * and that a call let through records nothing, that hammering a refused or
 * locked number adds no row, and that no recorded value holds a phone number.
 * Both engines; the race on the server only (PGlite has one connection).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import { advanceClock } from '../support/clock.js';
import { engines, freshDatabaseEach } from '../support/databases.js';
import {
  call,
  createMembership,
  ensurePhone,
  initiateFlow,
  insertOtp,
  login,
  registerDevice,
  setSecureKey,
  tally,
  updateOtpStatus,
  verifiedRegistrationFlow,
  warmUp,
} from '../schema-concurrency/procedures.js';

let counter = 0;
/** A US number of its own per call (+1 415 556 …), so a test's numbers never meet another's. */
function nextPhone(): string {
  counter += 1;
  return `+1415556${String(1000 + counter).slice(-4)}`;
}

async function setSetting(db: Queryable, name: string, value: string): Promise<void> {
  await db.query('UPDATE ecliptix_internal.settings SET value = $1 WHERE name = $2', [value, name]);
}

interface Hit {
  limit_name: string;
  calling_code: string;
  hits: number;
}

async function hits(db: Queryable): Promise<Hit[]> {
  const { rows } = await db.query<Hit>(
    'SELECT limit_name, calling_code, sum(hits)::int AS hits FROM ecliptix_internal.limit_hits GROUP BY 1, 2 ORDER BY 1, 2',
  );
  return rows;
}

async function events(db: Queryable): Promise<{ event_type: string; message: string }[]> {
  const { rows } = await db.query<{ event_type: string; message: string }>(
    'SELECT event_type, message FROM ecliptix.event_log ORDER BY id',
  );
  return rows;
}

/** Rows of every table of both schemas (the settings and the limit guards included). */
async function rowCounts(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT schemaname || '.' || tablename AS name FROM pg_tables
      WHERE schemaname IN ('ecliptix', 'ecliptix_internal') ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of rows) {
    const { rows: n } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${name}`);
    counts[name] = n[0]!.n;
  }
  return counts;
}

/** A time of the database as the messages spell it (UTC, seconds). */
async function utc(db: Queryable, sql: string, params: unknown[] = []): Promise<string> {
  const { rows } = await db.query<{ t: string }>(`SELECT to_char((${sql}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t`, params);
  return rows[0]!.t;
}

async function phoneIdOf(db: Queryable, phone: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM ecliptix.phone_numbers WHERE phone_number = $1', [phone]);
  return rows[0]!.id;
}

const noRecord = async (db: Queryable) => {
  expect(await hits(db)).toEqual([]);
  expect(await events(db)).toEqual([]);
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ecliptix_internal.limit_refusals');
  expect(rows[0]!.n).toBe(0);
};

/** A code hash of the v2 form check_code compares ("<key id>$v2$<43 base64 characters>="). */
const v2 = (key: string, fill: string) => `${key}$v2$${fill.repeat(43)}=`;

/** A flow of its own device, with a v2 code stored (check_code compares those). */
async function flowWithCode(db: Queryable, phone: string): Promise<{ flowUid: string; otpUid: string; phoneUid: string }> {
  const deviceUid = (await registerDevice(db)).app_device_id;
  const phoneUid = (await ensurePhone(db, phone, null, deviceUid)).phone_unique_id;
  const flow = await initiateFlow(db, deviceUid, phoneUid, 'registration');
  expect(flow.outcome).toBe('created');
  const otp = await insertOtp(db, flow.flow_unique_id!, v2('k1', 'A'), 'c2FsdA==');
  expect(otp.outcome).toBe('created');
  return { flowUid: flow.flow_unique_id!, otpUid: otp.otp_unique_id!, phoneUid };
}

/** Runs `work` again while it fails with 40001 (a SERIALIZABLE transaction's conflict), as the client does. */
async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 50 || (error as { code?: string }).code !== '40001') throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
    }
  }
}

const checkCode = (db: Queryable, flowUid: string, hash: string) => call(db, 'check_code', [flowUid, [hash], null]);

describe.each(engines)('limit hits and security events on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it('a journey that every limit lets through records nothing', async () => {
    const { db } = fresh;
    const phone = nextPhone();
    const { flowUid, otpUid } = await verifiedRegistrationFlow(db, phone);
    const member = await createMembership(db, flowUid, null, otpUid);
    expect(member.outcome).toBe('created');
    expect((await setSecureKey(db, member.membership_unique_id!, new Uint8Array([1, 2, 3]), flowUid)).outcome).toBe('updated');
    expect((await login(db, phone)).outcome).toBe('success');
    expect((await call(db, 'log_login_attempt', [phone, 'signed_in', true])).outcome).toBe('logged');
    // A wrong code under the flow cap, and a failed sign-in under the lockout, are not refusals either.
    const other = await flowWithCode(db, nextPhone());
    expect((await checkCode(db, other.flowUid, v2('k1', 'B'))).outcome).toBe('invalid_code');
    expect((await login(db, nextPhone())).outcome).toBe('phone_number_not_found');
    await noRecord(db);
  });

  it('flows_per_phone: each hit counted, one event per episode (initiate_verification_flow and start_verification)', async () => {
    const { db } = fresh;
    await setSetting(db, 'max_flows_per_phone_per_hour', '2');
    const phone = nextPhone();
    const phoneUid = (await ensurePhone(db, phone)).phone_unique_id;
    const start = async () => initiateFlow(db, (await registerDevice(db)).app_device_id, phoneUid, 'registration');
    expect((await start()).outcome).toBe('created');
    await advanceClock(db, 60);
    expect((await start()).outcome).toBe('created');
    await noRecord(db);
    for (let i = 0; i < 3; i++) expect((await start()).outcome).toBe('rate_limit_exceeded');
    // start_verification reaches the same limit through start_flow.
    const viaAction = await call(db, 'start_verification', [
      phone,
      null,
      (await registerDevice(db)).app_device_id,
      'registration',
      null,
      randomUUID(),
      'aGFzaA==',
      'c2FsdA==',
      new Date(Date.now() + 60_000),
    ]);
    expect(viaAction.outcome).toBe('rate_limit_exceeded');
    const until = await utc(db, "(SELECT min(created_at) FROM ecliptix.verification_flows) + interval '1 hour'");
    expect(await hits(db)).toEqual([{ limit_name: 'flows_per_phone', calling_code: '+1', hits: 4 }]);
    expect(await events(db)).toEqual([
      { event_type: 'limit_refused', message: `limit=flows_per_phone phone_unique_id=${phoneUid} calling_code=+1 refused_until=${until}` },
    ]);
    // The oldest flow ages out: one more flow, then a new episode and its event.
    await advanceClock(db, 3600 - 60);
    expect((await start()).outcome).toBe('created');
    expect((await start()).outcome).toBe('rate_limit_exceeded');
    expect(await hits(db)).toEqual([{ limit_name: 'flows_per_phone', calling_code: '+1', hits: 5 }]);
    expect((await events(db)).map((e) => e.event_type)).toEqual(['limit_refused', 'limit_refused']);
  });

  it('otps_per_flow ends the flow with one event; otp_resend_cooldown counts hits only', async () => {
    const { db } = fresh;
    const phone = nextPhone();
    const deviceUid = (await registerDevice(db)).app_device_id;
    const phoneUid = (await ensurePhone(db, phone, null, deviceUid)).phone_unique_id;
    const flowUid = (await initiateFlow(db, deviceUid, phoneUid)).flow_unique_id!;
    expect((await insertOtp(db, flowUid)).outcome).toBe('created');
    await noRecord(db);
    expect((await insertOtp(db, flowUid)).outcome).toBe('resend_cooldown_active');
    expect((await call(db, 'request_resend_otp', [flowUid])).outcome).toBe('resend_cooldown_active');
    expect(await hits(db)).toEqual([{ limit_name: 'otp_resend_cooldown', calling_code: '+1', hits: 2 }]);
    expect(await events(db)).toEqual([]);

    await setSetting(db, 'max_otps_per_flow', '2');
    await setSetting(db, 'otp_resend_cooldown', '0 seconds');
    expect((await insertOtp(db, flowUid)).outcome).toBe('created');
    expect((await call(db, 'request_resend_otp', [flowUid])).outcome).toBe('max_otps_reached');
    expect((await insertOtp(db, flowUid)).outcome).toBe('flow_not_pending');
    expect(await hits(db)).toEqual([
      { limit_name: 'otp_resend_cooldown', calling_code: '+1', hits: 2 },
      { limit_name: 'otps_per_flow', calling_code: '+1', hits: 1 },
    ]);
    expect(await events(db)).toEqual([
      { event_type: 'limit_reached', message: `limit=otps_per_flow phone_unique_id=${phoneUid} calling_code=+1 flow_unique_id=${flowUid}` },
    ]);

    // insert_otp_record (and so start_verification's code) reaches the cap too.
    const second = (await initiateFlow(db, (await registerDevice(db)).app_device_id, phoneUid)).flow_unique_id!;
    for (let i = 0; i < 2; i++) expect((await insertOtp(db, second)).outcome).toBe('created');
    expect((await insertOtp(db, second)).outcome).toBe('max_otps_reached');
    expect((await hits(db)).find((h) => h.limit_name === 'otps_per_flow')!.hits).toBe(2);
    expect((await events(db)).at(-1)!.message).toBe(
      `limit=otps_per_flow phone_unique_id=${phoneUid} calling_code=+1 flow_unique_id=${second}`,
    );
  });

  it('failed_otp_checks_per_flow: the check that fails the flow counts and writes one event (update_otp_status and check_code)', async () => {
    const { db } = fresh;
    const phone = nextPhone();
    const a = await flowWithCode(db, phone);
    for (let i = 0; i < 4; i++) expect((await updateOtpStatus(db, a.otpUid, 'failed')).outcome).toBe('updated');
    await noRecord(db);
    expect((await updateOtpStatus(db, a.otpUid, 'failed')).outcome).toBe('max_failed_checks_reached');
    const b = await flowWithCode(db, phone);
    for (let i = 0; i < 4; i++) expect((await checkCode(db, b.flowUid, v2('k1', 'B'))).outcome).toBe('invalid_code');
    expect((await checkCode(db, b.flowUid, v2('k1', 'B'))).outcome).toBe('max_failed_checks_reached');
    expect((await checkCode(db, b.flowUid, v2('k1', 'B'))).outcome).toBe('flow_not_pending');
    expect(await hits(db)).toEqual([{ limit_name: 'failed_otp_checks_per_flow', calling_code: '+1', hits: 2 }]);
    expect(await events(db)).toEqual(
      [a, b].map((f) => ({
        event_type: 'limit_reached',
        message: `limit=failed_otp_checks_per_flow phone_unique_id=${f.phoneUid} calling_code=+1 flow_unique_id=${f.flowUid}`,
      })),
    );
  });

  it('failed_otp_checks_per_phone: every refused check counted, one event per episode (update_otp_status and check_code)', async () => {
    const { db } = fresh;
    await setSetting(db, 'max_failed_otp_checks_per_phone', '3');
    const phone = nextPhone();
    const a = await flowWithCode(db, phone);
    for (let i = 0; i < 3; i++) expect((await updateOtpStatus(db, a.otpUid, 'failed')).outcome).toBe('updated');
    await noRecord(db);
    expect((await updateOtpStatus(db, a.otpUid, 'verified')).outcome).toBe('too_many_failed_checks');
    expect((await checkCode(db, a.flowUid, v2('k1', 'A'))).outcome).toBe('too_many_failed_checks');
    expect((await checkCode(db, a.flowUid, v2('k1', 'B'))).outcome).toBe('too_many_failed_checks');
    const until = await utc(db, "(SELECT min(attempt_time) FROM ecliptix.failed_otp_attempts) + interval '1 hour'");
    expect(await hits(db)).toEqual([{ limit_name: 'failed_otp_checks_per_phone', calling_code: '+1', hits: 3 }]);
    expect(await events(db)).toEqual([
      {
        event_type: 'limit_refused',
        message: `limit=failed_otp_checks_per_phone phone_unique_id=${a.phoneUid} calling_code=+1 refused_until=${until}`,
      },
    ]);
  });

  it('consecutive_failed_otp_checks: the lock is counted apart from the hourly budget', async () => {
    const { db } = fresh;
    await setSetting(db, 'max_consecutive_failed_otp_checks', '2');
    const phone = nextPhone();
    const a = await flowWithCode(db, phone);
    for (let i = 0; i < 2; i++) expect((await updateOtpStatus(db, a.otpUid, 'failed')).outcome).toBe('updated');
    expect((await checkCode(db, a.flowUid, v2('k1', 'A'))).outcome).toBe('too_many_failed_checks');
    expect((await updateOtpStatus(db, a.otpUid, 'failed')).outcome).toBe('too_many_failed_checks');
    const until = await utc(db, "(SELECT max(attempt_time) FROM ecliptix.failed_otp_attempts) + interval '24 hours'");
    expect(await hits(db)).toEqual([{ limit_name: 'consecutive_failed_otp_checks', calling_code: '+1', hits: 2 }]);
    expect(await events(db)).toEqual([
      {
        event_type: 'limit_refused',
        message: `limit=consecutive_failed_otp_checks phone_unique_id=${a.phoneUid} calling_code=+1 refused_until=${until}`,
      },
    ]);
  });

  it('membership_attempts: create_membership, update_membership_secure_key and check_code count their refusals', async () => {
    const { db } = fresh;
    await setSetting(db, 'max_failed_membership_attempts', '1');
    const phone = nextPhone();
    const { flowUid, otpUid, phoneUid } = await verifiedRegistrationFlow(db, phone);
    expect((await createMembership(db, flowUid, 42, otpUid)).outcome).toBe('connection_mismatch');
    await noRecord(db);
    expect((await createMembership(db, flowUid, null, otpUid)).outcome).toBe('rate_limit_exceeded');
    // check_code: a right code verifies the flow, but its membership is refused by the same limit.
    const b = await flowWithCode(db, phone);
    const checked = await checkCode(db, b.flowUid, v2('k1', 'A'));
    expect(checked).toMatchObject({ outcome: 'verified', membership_outcome: 'rate_limit_exceeded' });
    const until = await utc(db, "(SELECT min(attempted_at) FROM ecliptix.membership_attempts) + interval '1 hour'");
    expect(await hits(db)).toEqual([{ limit_name: 'membership_attempts', calling_code: '+1', hits: 2 }]);
    expect(await events(db)).toEqual([
      {
        event_type: 'limit_refused',
        message: `limit=membership_attempts phone_unique_id=${phoneUid} calling_code=+1 refused_until=${until}`,
      },
    ]);

    // update_membership_secure_key, for another number (a UK one: its own counter row).
    const uk = '+447700900123';
    const second = await verifiedRegistrationFlow(db, uk);
    const member = await createMembership(db, second.flowUid, null, second.otpUid);
    expect((await setSecureKey(db, member.membership_unique_id!, new Uint8Array([1]), randomUUID())).outcome).toBe('invalid_proof');
    expect((await setSecureKey(db, member.membership_unique_id!, new Uint8Array([1]), second.flowUid)).outcome).toBe('rate_limit_exceeded');
    expect(await hits(db)).toEqual([
      { limit_name: 'membership_attempts', calling_code: '+1', hits: 2 },
      { limit_name: 'membership_attempts', calling_code: '+44', hits: 1 },
    ]);
    expect((await events(db)).map((e) => e.message.split(' ').slice(0, 3).join(' '))).toEqual([
      `limit=membership_attempts phone_unique_id=${phoneUid} calling_code=+1`,
      `limit=membership_attempts phone_unique_id=${second.phoneUid} calling_code=+44`,
    ]);
  });

  it('failed_logins: a lockout started is one event; hammering the locked number raises a counter and adds no row', async () => {
    const { db } = fresh;
    const phone = nextPhone();
    for (let i = 0; i < 4; i++) expect((await login(db, phone)).outcome).toBe('phone_number_not_found');
    await noRecord(db);
    expect((await login(db, phone)).outcome).toBe('phone_number_not_found');
    const { rows } = await db.query<{ id: string }>(
      'SELECT id::text AS id FROM ecliptix.login_attempts WHERE phone_number = $1 AND locked_until IS NOT NULL',
      [phone],
    );
    const until = await utc(db, 'SELECT locked_until FROM ecliptix.login_attempts WHERE id = $1', [rows[0]!.id]);
    const lockout = {
      event_type: 'lockout_started',
      message: `limit=failed_logins phone_unique_id=none calling_code=+1 lockout_number=1 locked_until=${until} login_attempt_id=${rows[0]!.id}`,
    };
    expect(await events(db)).toEqual([lockout]);
    expect(await hits(db)).toEqual([{ limit_name: 'failed_logins', calling_code: '+1', hits: 1 }]);

    // The first locked call of the hour makes the hour's login_lockout counter; after it, calls add no row.
    expect((await login(db, phone)).outcome).toBe('locked');
    const before = await rowCounts(db);
    for (let i = 0; i < 99; i++) expect((await login(db, phone)).outcome).toBe('locked');
    expect((await call(db, 'log_login_attempt', [phone, 'wrong_passphrase', false])).outcome).toBe('locked');
    expect(await rowCounts(db)).toEqual(before);
    expect(await hits(db)).toEqual([
      { limit_name: 'failed_logins', calling_code: '+1', hits: 1 },
      { limit_name: 'login_lockout', calling_code: '+1', hits: 101 },
    ]);
    expect(await events(db)).toEqual([lockout]);

    // The second lockout of a known number names its phone and its place on the ladder.
    await advanceClock(db, 5 * 60);
    await ensurePhone(db, phone);
    for (let i = 0; i < 5; i++) expect((await login(db, phone)).outcome).toBe('membership_not_found');
    const second = (await events(db)).at(-1)!;
    expect(second.event_type).toBe('lockout_started');
    const phoneUid = (await ensurePhone(db, phone)).phone_unique_id;
    expect(second.message).toMatch(new RegExp(`^limit=failed_logins phone_unique_id=${phoneUid} calling_code=\\+1 lockout_number=2 `));
  });

  it('key_releases: refused releases counted, one event, and they still count toward a lockout', async () => {
    const { db } = fresh;
    await setSetting(db, 'max_key_releases_per_window', '1');
    const phone = nextPhone();
    const { flowUid, otpUid, phoneUid } = await verifiedRegistrationFlow(db, phone);
    const member = await createMembership(db, flowUid, null, otpUid);
    await setSecureKey(db, member.membership_unique_id!, new Uint8Array([7]), flowUid);
    expect((await login(db, phone)).outcome).toBe('success');
    await noRecord(db);
    for (let i = 0; i < 5; i++) expect((await login(db, phone)).outcome).toBe('too_many_key_releases');
    expect((await login(db, phone)).outcome).toBe('locked');
    const until = await utc(db, "ecliptix_internal.now() + interval '1 hour'");
    expect(await hits(db)).toEqual([
      { limit_name: 'failed_logins', calling_code: '+1', hits: 1 },
      { limit_name: 'key_releases', calling_code: '+1', hits: 5 },
      { limit_name: 'login_lockout', calling_code: '+1', hits: 1 },
    ]);
    const recorded = await events(db);
    expect(recorded.map((e) => e.event_type)).toEqual(['limit_refused', 'lockout_started']);
    expect(recorded[0]!.message).toBe(`limit=key_releases phone_unique_id=${phoneUid} calling_code=+1 refused_until=${until}`);
  });

  it('no recorded value holds a phone number (every column of every row of event_log and the new tables)', async () => {
    const { db } = fresh;
    await setSetting(db, 'max_flows_per_phone_per_hour', '1');
    await setSetting(db, 'max_failed_otp_checks_per_phone', '1');
    const phones = [nextPhone(), '+447700900456', '+8801712345678', '+79161234567'];
    for (const phone of phones) {
      const a = await flowWithCode(db, phone);
      expect((await initiateFlow(db, (await registerDevice(db)).app_device_id, a.phoneUid)).outcome).toBe('rate_limit_exceeded');
      await updateOtpStatus(db, a.otpUid, 'failed');
      expect((await checkCode(db, a.flowUid, v2('k1', 'A'))).outcome).toBe('too_many_failed_checks');
      for (let i = 0; i < 6; i++) await login(db, phone);
    }
    expect((await hits(db)).map((h) => `${h.limit_name} ${h.calling_code}`)).toEqual(
      expect.arrayContaining(['flows_per_phone +1', 'flows_per_phone +44', 'flows_per_phone +880', 'flows_per_phone +7']),
    );
    const values: string[] = [];
    for (const table of ['ecliptix.event_log', 'ecliptix_internal.limit_hits', 'ecliptix_internal.limit_refusals']) {
      const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM ${table}`);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows)
        for (const value of Object.values(row)) values.push(value instanceof Date ? value.toISOString() : String(value));
    }
    for (const phone of phones) {
      const national = phone.slice(phone.startsWith('+1') || phone.startsWith('+7') ? 2 : phone.startsWith('+880') ? 4 : 3);
      expect(values.filter((v) => v.includes(phone.slice(1)) || v.includes(national))).toEqual([]);
    }
  });

  it.runIf(engine === 'postgres').each(['repeatable read', 'serializable'] as const)(
    'at %s, 20 refusals at once on one flow and 16 on locked numbers: each counted once (serializable: retried on 40001, as the client does)',
    async (isolation) => {
      const { target, db } = fresh;
      // The level is one of the two constants above, never input.
      await db.exec(
        `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation = %L', current_database(), '${isolation}'); END $$`,
      );
      const phone = nextPhone();
      const deviceUid = (await registerDevice(db)).app_device_id;
      const flowUid = (await initiateFlow(db, deviceUid, (await ensurePhone(db, phone, null, deviceUid)).phone_unique_id)).flow_unique_id!;
      expect((await insertOtp(db, flowUid)).outcome).toBe('created');
      const locked = Array.from({ length: 16 }, () => nextPhone());
      for (const number of locked) for (let i = 0; i < 5; i++) await login(db, number);
      const pool = await target.open({ maxConnections: 36 });
      try {
        const { rows } = await pool.query<{ transaction_isolation: string }>('SHOW transaction_isolation');
        expect(rows[0]!.transaction_isolation).toBe(isolation);
        await warmUp(pool, 36);
        // Repeatable read: no call fails. Serializable: any transaction may fail with 40001 and is run again.
        const run = <T>(work: () => Promise<T>) => (isolation === 'serializable' ? retrying(work) : work());
        const results = await Promise.all([
          ...Array.from({ length: 20 }, () => run(() => insertOtp(pool, flowUid))),
          ...locked.map((number) => run(() => login(pool, number))),
        ]);
        expect(tally(results)).toEqual({ resend_cooldown_active: 20, locked: 16 });
      } finally {
        await pool.close();
      }
      expect(await hits(db)).toEqual([
        { limit_name: 'failed_logins', calling_code: '+1', hits: 16 },
        { limit_name: 'login_lockout', calling_code: '+1', hits: 16 },
        { limit_name: 'otp_resend_cooldown', calling_code: '+1', hits: 20 },
      ]);
    },
  );

  it.runIf(engine === 'postgres')('32 refused calls at once on one counter: every hit counted, no error', async () => {
    const { target, db } = fresh;
    const locked = Array.from({ length: 16 }, () => nextPhone());
    for (const phone of locked) for (let i = 0; i < 5; i++) await login(db, phone);
    // A number that is let through, raced alongside: it never waits on the counter.
    const legit = nextPhone();
    const { flowUid, otpUid } = await verifiedRegistrationFlow(db, legit);
    const member = await createMembership(db, flowUid, null, otpUid);
    await setSecureKey(db, member.membership_unique_id!, new Uint8Array([9]), flowUid);
    const pool = await target.open({ maxConnections: 33 });
    try {
      await warmUp(pool, 33);
      const results = await Promise.all([...[...locked, ...locked].map((phone) => login(pool, phone)), login(pool, legit)]);
      expect(tally(results)).toEqual({ locked: 32, success: 1 });
    } finally {
      await pool.close();
    }
    expect(await hits(db)).toEqual([
      { limit_name: 'failed_logins', calling_code: '+1', hits: 16 },
      { limit_name: 'login_lockout', calling_code: '+1', hits: 32 },
    ]);
    expect((await events(db)).length).toBe(16);
    expect(await phoneIdOf(db, legit)).toBeTruthy();
  });
});
