/**
 * Hostile input to the 17 routines called directly with SQL, parameterised
 * (`SELECT * FROM ecliptix.<routine>($1, $2, …)`): SQL-injection strings,
 * Unicode edge cases (NUL, lone surrogates), huge strings, NULLs, values of the
 * wrong type (booleans for uuids, arrays, objects, bytes, bigints), numbers at
 * and past the limits of int/bigint, and timestamps far in the past and the
 * future — mixed with plausible values (ids of a fixture member, valid phone
 * numbers, the enumeration values) so that calls also get past the argument
 * checks.
 *
 * Every call either succeeds — a procedure with exactly one row whose outcome
 * is documented, a function with zero or one row — or fails cleanly:
 *   - a PostgreSQL error whose SQLSTATE is a data exception (class 22: 22P02
 *     invalid text representation, 22003 out of range, 22004 null not allowed,
 *     22001 too long, 22023 invalid parameter, 22021 bad byte sequence, 22007 /
 *     22008 / 22009 date-time …) — never an integrity violation (class 23,
 *     which would be an unexplained constraint violation), never XX000;
 *   - or the driver refusing to serialise a JavaScript value before anything
 *     is sent (PGlite checks booleans, bytea and dates itself), including the
 *     TypeError of a value it cannot turn into text at all (nonSerialisable:
 *     an object whose toString is not a function, e.g. fast-check's
 *     { toString: 0 });
 * and when it fails, all 10 tables are exactly as they were (row count and a
 * digest of every row, tableDigest).
 *
 * Two passes per routine: a deterministic sweep of every edge constant through
 * every parameter (the others plausible), then a fast-check property over
 * random mixes, with a fixed seed (FAST_CHECK_SEED runs another; see
 * fastCheckSeed in test/support/fast-check.ts). One database per engine serves the file.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Database, Engine, Queryable } from '../../src/db/database.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { sqlstateOf } from '../faults/support.js';
import {
  HOUR,
  PAST_RESEND_COOLDOWN,
  advanceClock,
  call,
  dbNow,
  insertOtp,
  member,
  newPhone,
  pendingFlow,
  type MemberJourney,
  type PendingJourney,
} from '../schema/journey.js';
import { fcParams } from '../support/fast-check.js';
import { EDGE_SAMPLE, EXTREME_DATES, describeValue, field, nonSerialisable, tableDigest, validPhone } from './values.js';

const NUM_RUNS = 15;

/** Clean failures: data exceptions, and a datatype mismatch. */
const ALLOWED_SQLSTATE = /^(22[0-9A-Z]{3}|42804)$/;

/**
 * node-postgres sends a Buffer in binary format; a binary value too short for
 * its type is refused by the server's protocol layer before the routine runs
 * (08P01 "insufficient data left in message").
 */
const BINARY_PARAMETER_SQLSTATE = '08P01';

/** The driver refusing a JavaScript value before sending anything (PGlite's serialisers, JavaScript's own). */
const DRIVER_REFUSAL =
  /^(Invalid input for \w+ type|Invalid time value|Do not know how to serialize a BigInt|Cannot convert a Symbol value to a string|\w+\.toString is not a function)/;

interface Param {
  name: string;
  plausible: () => fc.Arbitrary<unknown>;
  plain: () => unknown;
}

interface Routine {
  name: string;
  params: Param[];
  /** Documented outcomes of a procedure; undefined for the 3 functions (zero or one row). */
  outcomes?: readonly string[];
}

describe.each(engines)('hostile input to the routines on %s', (engine: Engine) => {
  let target: TestDatabase;
  let db: Database;
  /**
   * Where the routines are called: on the server one dedicated connection,
   * because pg's Pool#query discards its connection after any failed query
   * and thousands of refused calls would each pay for a new one.
   */
  let sql: Queryable;
  let dedicated: pg.Client | undefined;
  let m: MemberJourney;
  let pending: PendingJourney;
  let now: Date;
  const stats = { ok: 0, sqlstates: new Map<string, number>(), driver: 0 };

  beforeAll(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
    db = await target.open();
    sql = db;
    if (engine === 'postgres') {
      const client = new pg.Client({ connectionString: target.config.databaseUrl });
      client.on('error', () => undefined);
      await client.connect();
      dedicated = client;
      sql = {
        query: async <Row>(text: string, params: readonly unknown[] = []) => {
          const result = await client.query(text, [...params]);
          return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
        },
        exec: async (script: string) => void (await client.query(script)),
      };
    }
    m = await member(db);
    pending = await pendingFlow(db);
    // A second code for the pending flow, past the resend cooldown.
    await advanceClock(db, PAST_RESEND_COOLDOWN);
    expect((await insertOtp(db, pending.flowUid)).outcome).toBe('created');
    await call(db, 'log_login_attempt', m.phone, 'invalid_passphrase', false);
    now = await dbNow(db);
  });

  afterAll(async () => {
    const codes = [...stats.sqlstates].map(([code, n]) => `${code}×${n}`).join(' ');
    console.info(`[hostile routines ${engine}] ${stats.ok} succeeded; failed cleanly: ${codes}; driver refused ${stats.driver}`);
    await dedicated?.end().catch(() => undefined);
    await db?.close();
    await target?.drop();
  });

  // Fixture ids exist only after beforeAll: arbitraries look them up when they generate.
  const anyFixtureId = () =>
    fc
      .constant(0)
      .chain(() =>
        fc.constantFrom(
          m.deviceUid,
          m.phoneUid,
          m.flowUid,
          m.otpUid,
          m.membershipUid,
          pending.deviceUid,
          pending.phoneUid,
          pending.flowUid,
          pending.otpUid,
        ),
      );
  const uuid = (name: string, pick: () => string[]): Param => ({
    name,
    plausible: () =>
      fc.oneof(
        fc.constant(0).chain(() => fc.constantFrom(...pick())),
        anyFixtureId(),
        fc.uuid(),
        fc.constant(null),
      ),
    plain: () => pick()[0],
  });
  const phone = (name = 'p_phone_number'): Param => ({
    name,
    plausible: () =>
      fc.oneof(
        fc.constant(0).chain(() => fc.constantFrom(m.phone, pending.phone)),
        validPhone.map((p) => p.phone).filter((p) => p.startsWith('+')),
        fc.constant(null),
      ),
    plain: () => m.phone,
  });
  const region: Param = {
    name: 'p_region',
    plausible: () => fc.constantFrom(null, 'US', 'GB', 'DE', '001', 'ZZ', 'USA'),
    plain: () => null,
  };
  const oneOf = (name: string, values: readonly string[]): Param => ({
    name,
    plausible: () => fc.oneof(fc.constantFrom(...values), fc.constant(null)),
    plain: () => values[0],
  });
  const text = (name: string): Param => ({
    name,
    plausible: () => fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.constantFrom('invalid_passphrase', 'aGFzaA==', 'c2FsdA==')),
    plain: () => 'aGFzaA==',
  });
  const bool = (name: string): Param => ({
    name,
    plausible: () => fc.oneof(fc.boolean(), fc.constantFrom('t', 'off', null)),
    plain: () => false,
  });
  const flows = () => [pending.flowUid, m.flowUid];
  const statuses = ['pending', 'verified', 'expired', 'failed'] as const;

  const ROUTINES: Routine[] = [
    {
      name: 'register_app_device_if_not_exists',
      params: [
        uuid('p_app_instance_id', () => [m.deviceUid]),
        uuid('p_device_id', () => [pending.deviceUid, m.deviceUid]),
        { name: 'p_device_type', plausible: () => fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(2 ** 31 - 1)), plain: () => 1 },
      ],
      outcomes: ['exists', 'created'],
    },
    {
      name: 'ensure_phone_number',
      params: [phone(), region, uuid('p_app_device_id', () => [pending.deviceUid, m.deviceUid])],
      outcomes: [
        'exists',
        'created',
        'associated',
        'created_and_associated',
        'exists_but_app_device_not_found',
        'created_but_app_device_not_found',
      ],
    },
    {
      name: 'verify_phone_for_secret_key_recovery',
      params: [phone(), region],
      outcomes: ['phone_number_not_found', 'membership_not_found', 'membership_blocked', 'secure_key_not_set', 'eligible_for_recovery'],
    },
    {
      name: 'initiate_verification_flow',
      params: [
        uuid('p_app_device_id', () => [pending.deviceUid, m.deviceUid]),
        uuid('p_phone_unique_id', () => [pending.phoneUid, m.phoneUid]),
        oneOf('p_purpose', ['login', 'registration', 'unspecified', 'password_recovery', 'update_phone']),
        { name: 'p_connection_id', plausible: () => fc.oneof(fc.constant(42), fc.constant(null), fc.integer()), plain: () => 42 },
      ],
      outcomes: ['phone_number_not_found', 'app_device_not_found', 'verified', 'retrieved', 'rate_limit_exceeded', 'created'],
    },
    {
      name: 'request_resend_otp',
      params: [uuid('p_flow_unique_id', flows)],
      outcomes: ['flow_not_found', 'flow_not_pending', 'flow_expired', 'max_otps_reached', 'resend_cooldown_active', 'resend_allowed'],
    },
    {
      name: 'insert_otp_record',
      params: [
        uuid('p_flow_unique_id', flows),
        text('p_otp_hash'),
        text('p_otp_salt'),
        {
          name: 'p_expires_at',
          plausible: () =>
            fc.oneof(
              fc.integer({ min: -HOUR, max: HOUR }).map((ms) => new Date(now.getTime() + ms)),
              fc.constantFrom(...EXTREME_DATES),
            ),
          plain: () => new Date(now.getTime() + HOUR),
        },
        oneOf('p_status', statuses),
      ],
      outcomes: ['flow_not_found', 'flow_not_pending', 'flow_expired', 'max_otps_reached', 'resend_cooldown_active', 'created'],
    },
    {
      name: 'update_otp_status',
      params: [uuid('p_otp_unique_id', () => [pending.otpUid, m.otpUid]), oneOf('p_new_status', statuses)],
      outcomes: [
        'otp_not_found',
        'flow_not_found',
        'flow_not_pending',
        'flow_expired',
        'too_many_failed_checks',
        'invalid_status_transition',
        'otp_expired',
        'otp_not_active',
        'max_failed_checks_reached',
        'updated',
      ],
    },
    {
      name: 'update_verification_flow_status',
      params: [uuid('p_flow_unique_id', flows), oneOf('p_new_status', statuses)],
      outcomes: ['updated', 'flow_not_found', 'invalid_status_transition'],
    },
    { name: 'expire_associated_otp', params: [uuid('p_flow_unique_id', flows)], outcomes: ['expired', 'flow_not_found'] },
    {
      name: 'log_login_attempt',
      params: [phone(), text('p_outcome'), bool('p_is_success')],
      outcomes: ['logged', 'key_release_not_found', 'locked'],
    },
    {
      name: 'log_membership_attempt',
      params: [uuid('p_phone_unique_id', () => [m.phoneUid, pending.phoneUid]), text('p_outcome'), bool('p_is_success')],
      outcomes: ['logged', 'phone_number_not_found'],
    },
    {
      name: 'create_membership',
      params: [
        uuid('p_flow_unique_id', () => [m.flowUid, pending.flowUid]),
        { name: 'p_connection_id', plausible: () => fc.oneof(fc.constant(42), fc.constant(null), fc.integer()), plain: () => 42 },
        uuid('p_otp_unique_id', () => [m.otpUid, pending.otpUid]),
        oneOf('p_creation_status', ['otp_verified', 'secure_key_set', 'passphrase_set']),
      ],
      outcomes: [
        'flow_not_found',
        'rate_limit_exceeded',
        'connection_mismatch',
        'invalid_flow_purpose',
        'flow_not_verified',
        'flow_expired',
        'otp_not_found',
        'membership_already_exists',
        'created',
      ],
    },
    {
      name: 'update_membership_secure_key',
      params: [
        uuid('p_membership_unique_id', () => [m.membershipUid]),
        {
          name: 'p_secure_key',
          plausible: () =>
            fc.oneof(
              fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
              fc.constant(null),
            ),
          plain: () => Buffer.from([1, 2, 3, 4, 5]),
        },
        uuid('p_flow_unique_id', () => [m.flowUid, pending.flowUid]),
      ],
      outcomes: ['membership_not_found', 'rate_limit_exceeded', 'membership_blocked', 'membership_inactive', 'invalid_proof', 'updated'],
    },
    {
      name: 'login_membership',
      params: [phone()],
      outcomes: [
        'locked',
        'phone_number_not_found',
        'membership_not_found',
        'secure_key_not_set',
        'membership_blocked',
        'membership_inactive',
        'too_many_key_releases',
        'success',
      ],
    },
    { name: 'get_phone_number', params: [uuid('p_phone_unique_id', () => [m.phoneUid, pending.phoneUid])] },
    { name: 'get_phone_number_details', params: [uuid('p_phone_unique_id', () => [m.phoneUid, pending.phoneUid])] },
    { name: 'get_full_flow_state', params: [uuid('p_flow_unique_id', flows)] },
  ];

  /** The tables as of the last check; undefined after a call that succeeded (it may have written). */
  let tables: Record<string, string> | undefined;

  /** One call: success with a documented result, or a clean failure with the tables unchanged. */
  async function probe(routine: Routine, args: unknown[]): Promise<void> {
    tables ??= await tableDigest(sql);
    const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
    const what = `${routine.name}(${args.map(describeValue).join(', ')})`;
    let rows: Record<string, unknown>[] | undefined;
    let error: unknown;
    try {
      rows = (await sql.query<Record<string, unknown>>(`SELECT * FROM ecliptix.${routine.name}(${placeholders})`, args)).rows;
    } catch (e) {
      error = e;
    }
    if (rows) {
      stats.ok += 1;
      tables = undefined;
      if (routine.outcomes) {
        expect(rows, `${what} must return exactly one row`).toHaveLength(1);
        expect(Object.keys(rows[0]!)[0], `${what}: outcome comes first`).toBe('outcome');
        expect(routine.outcomes, `${what} returned an undocumented outcome ${describeValue(rows[0]!.outcome)}`).toContain(rows[0]!.outcome);
      } else {
        expect(rows.length, `${what} must return zero or one row`).toBeLessThanOrEqual(1);
      }
      return;
    }
    const code = sqlstateOf(error);
    const message = (error as { message?: string } | null)?.message ?? String(error);
    if (code) {
      const binary = code === BINARY_PARAMETER_SQLSTATE && args.some((a) => a instanceof Uint8Array);
      if (!ALLOWED_SQLSTATE.test(code) && !binary)
        throw new Error(`${what} failed with SQLSTATE ${code} (not a data exception): ${message}`);
      stats.sqlstates.set(code, (stats.sqlstates.get(code) ?? 0) + 1);
    } else {
      // The driver's TypeError for a value it cannot serialise ("x.toString is not a function", "Cannot
      // convert object to primitive value", "The "src" argument must be of type string").
      const unserialisable = error instanceof TypeError && args.some(nonSerialisable);
      if (!DRIVER_REFUSAL.test(message) && !unserialisable)
        throw new Error(`${what} failed without a SQLSTATE: ${(error as Error)?.name}: ${message}`);
      stats.driver += 1;
    }
    expect(await tableDigest(sql), `${what} failed (${code ?? message}) but changed rows`).toEqual(tables);
  }

  it('nonSerialisable tells the values the driver cannot turn into text, and the driver does refuse them', async () => {
    // The kinds fast-check's anything() draws: a toString (or an array element's) that is no function.
    const odd: unknown[] = [
      { toString: 0 },
      { toString: {} },
      { toString: null, valueOf: 1 },
      Object.create(null),
      [{ toString: 0 }],
      [[Object.create(null)]],
    ];
    const fine: unknown[] = [
      null,
      undefined,
      'x',
      1,
      10n,
      true,
      {},
      { a: { toString: 0 } },
      [1, 'a'],
      [],
      new Date(),
      Buffer.from([1]),
      { toString: () => 'x' },
    ];
    for (const value of [...odd, { toString: () => ({}) }]) expect(nonSerialisable(value), describeValue(value)).toBe(true);
    for (const value of fine) expect(nonSerialisable(value), describeValue(value)).toBe(false);
    // On PGlite each odd value, as a text parameter, fails in the driver with a TypeError before anything
    // is sent, and the connection stays usable. (A toString that returns no string is left out: PGlite
    // then fails halfway through the message and its next two queries fail with 08P01; anything()
    // draws no functions.)
    if (engine !== 'pglite') return;
    for (const value of odd) {
      const error = await sql.query('SELECT $1::text AS t', [value]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `${describeValue(value)}: ${String(error)}`).toBeInstanceOf(TypeError);
      expect(sqlstateOf(error)).toBeUndefined();
      expect((await sql.query<{ x: number }>('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
    }
  });

  it('the table digest sees an insert, an update and a delete, and not a rolled-back change', async () => {
    const original = await tableDigest(db);
    const seen = await db.transaction(
      async (tx) => {
        const digests = [];
        await tx.query("INSERT INTO ecliptix.event_log (event_type, message) VALUES ('digest', 'check')");
        digests.push(await tableDigest(tx));
        await tx.query('UPDATE ecliptix.app_devices SET device_type = device_type WHERE unique_id = $1', [m.deviceUid]);
        digests.push(await tableDigest(tx));
        await tx.query('DELETE FROM ecliptix.login_attempts WHERE id = (SELECT min(id) FROM ecliptix.login_attempts)');
        digests.push(await tableDigest(tx));
        return digests;
      },
      { rollback: true },
    );
    expect(seen[0]!.event_log).not.toBe(original.event_log);
    expect(seen[1]!.app_devices).not.toBe(original.app_devices);
    expect(seen[2]!.login_attempts).not.toBe(original.login_attempts);
    expect(await tableDigest(db)).toEqual(original);
  });

  const plainArgs = (routine: Routine) => routine.params.map((p) => p.plain());

  for (const routine of ROUTINES) {
    describe(routine.name, () => {
      it('every edge value in every parameter: a documented result, or a clean data exception and nothing written', async () => {
        expect(
          (
            await db.query(
              'SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2 AND p.pronargs = $3',
              ['ecliptix', routine.name, routine.params.length],
            )
          ).rows,
        ).toHaveLength(1);
        for (let i = 0; i < routine.params.length; i += 1) {
          for (const value of EDGE_SAMPLE) {
            const args = plainArgs(routine);
            args[i] = value;
            await probe(routine, args);
          }
        }
      });

      it('random mixes (fast-check): a documented result, or a clean data exception and nothing written', async () => {
        const args = fc.tuple(...routine.params.map((p) => field(p.plausible())));
        await fc.assert(
          fc.asyncProperty(args, (a) => probe(routine, a)),
          fcParams(NUM_RUNS),
        );
      });
    });
  }

  it('afterwards the data is consistent: otp_count matches the OTPs, at most one active OTP per flow, every membership logged', async () => {
    const { rows: counts } = await db.query<{ unique_id: string; otp_count: number; otps: number }>(
      `SELECT f.unique_id, f.otp_count, (SELECT count(*)::int FROM ecliptix.otp_records o WHERE o.flow_unique_id = f.unique_id) AS otps
         FROM ecliptix.verification_flows f`,
    );
    for (const flow of counts) expect(flow.otp_count, `flow ${flow.unique_id}`).toBe(flow.otps);
    const { rows: active } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM (SELECT flow_unique_id FROM ecliptix.otp_records WHERE is_active AND NOT is_deleted GROUP BY 1 HAVING count(*) > 1) x',
    );
    expect(active[0]!.n).toBe(0);
    const { rows: logged } = await db.query<{ memberships: number; created: number }>(
      `SELECT (SELECT count(*)::int FROM ecliptix.memberships) AS memberships,
              (SELECT count(*)::int FROM ecliptix.membership_attempts WHERE outcome = 'created' AND is_success) AS created`,
    );
    // create_membership logs each membership it creates (log_membership_attempt may add more such rows, never fewer).
    expect(logged[0]!.created).toBeGreaterThanOrEqual(logged[0]!.memberships);
    // And the journey still works end to end.
    const fresh = await member(db, { phone: newPhone() });
    expect((await call(db, 'login_membership', fresh.phone)).outcome).toBe('success');
  });
});
