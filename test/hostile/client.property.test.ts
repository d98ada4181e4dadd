/**
 * Hostile input to every method of the memberships client: random and
 * adversarial values — SQL-injection strings, Unicode edge cases, huge
 * strings, NULL/undefined, values of the wrong type, timestamps in the far
 * past and future, whole inputs that are not objects — mixed with plausible
 * ones (real ids of a fixture member, valid numbers of every country).
 *
 * Every call either resolves to one of the method's documented outcomes, or
 * rejects with InvalidInputError (naming a field) or KeyError — never any
 * other error (a TypeError, a raw PostgreSQL error, a constraint violation) —
 * and when it rejects, all 10 tables are exactly as they were: row count and
 * a digest of every row, taken just before the method's first query (a call
 * refused before any query cannot have written anything).
 *
 * Two passes per method: a deterministic sweep that puts every edge constant
 * into every field in turn (the others plausible), then a fast-check property
 * over random mixes, with a fixed seed (FAST_CHECK_SEED runs another; see
 * fastCheckSeed in test/support/fast-check.ts). One database per engine serves the file: calls that
 * resolve may write (that is their job), which only makes later calls meet
 * more varied state.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, KeyError } from '../../src/client/errors.js';
import { MembershipsClient } from '../../src/client/memberships-client.js';
import { CREATION_STATUSES, FLOW_PURPOSES, FLOW_STATUSES } from '../../src/client/outcomes.js';
import type { Database, Engine, Queryable, QueryResult } from '../../src/db/database.js';
import { getCountries } from 'libphonenumber-js/max';
import { openClientFixture, phoneIdOf, registeredDevice, type ClientFixture } from '../client/client-harness.js';
import { advanceClock } from '../support/clock.js';
import { engines } from '../support/databases.js';
import { snapshotAllTables, type TableName } from '../schema/journey.js';
import { fcParams } from '../support/fast-check.js';
import { EDGE_CONSTANTS, describeValue, field, hostile, validPhone } from './values.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NUM_RUNS = 25;

/** Each method's documented outcomes (src/client/outcomes.ts); the getters resolve to null or a row. */
const OUTCOMES: Record<string, readonly string[]> = {
  registerDevice: ['created', 'exists'],
  ensurePhoneNumber: [
    'created',
    'exists',
    'associated',
    'created_and_associated',
    'exists_but_app_device_not_found',
    'created_but_app_device_not_found',
  ],
  verifyPhoneForSecretKeyRecovery: [
    'eligible_for_recovery',
    'phone_number_not_found',
    'membership_not_found',
    'secure_key_not_set',
    'membership_blocked',
  ],
  initiateVerificationFlow: ['created', 'retrieved', 'verified', 'phone_number_not_found', 'app_device_not_found', 'rate_limit_exceeded'],
  requestResendOtp: ['resend_allowed', 'resend_cooldown_active', 'flow_not_found', 'flow_not_pending', 'flow_expired', 'max_otps_reached'],
  issueOtp: ['issued', 'resend_cooldown_active', 'flow_not_found', 'flow_not_pending', 'flow_expired', 'max_otps_reached'],
  verifyOtp: [
    'verified',
    'invalid_code',
    'max_failed_checks_reached',
    'too_many_failed_checks',
    'flow_not_found',
    'flow_not_pending',
    'flow_expired',
    'otp_expired',
    'otp_not_found',
    'already_used',
  ],
  updateOtpStatus: [
    'updated',
    'max_failed_checks_reached',
    'too_many_failed_checks',
    'otp_not_found',
    'flow_not_found',
    'flow_not_pending',
    'flow_expired',
    'invalid_status_transition',
    'otp_expired',
    'otp_not_active',
  ],
  updateVerificationFlowStatus: ['updated', 'flow_not_found', 'invalid_status_transition'],
  expireAssociatedOtp: ['expired', 'flow_not_found'],
  logLoginAttempt: ['logged', 'key_release_not_found', 'locked'],
  confirmLogin: ['confirmed', 'key_release_not_found'],
  logMembershipAttempt: ['logged', 'phone_number_not_found'],
  createMembership: [
    'created',
    'rate_limit_exceeded',
    'membership_already_exists',
    'flow_not_found',
    'connection_mismatch',
    'invalid_flow_purpose',
    'flow_not_verified',
    'flow_expired',
    'otp_not_found',
  ],
  setSecureKey: ['updated', 'membership_not_found', 'rate_limit_exceeded', 'membership_blocked', 'membership_inactive', 'invalid_proof'],
  login: [
    'success',
    'locked',
    'phone_number_not_found',
    'membership_not_found',
    'secure_key_not_set',
    'membership_blocked',
    'membership_inactive',
    'too_many_key_releases',
  ],
};

/** Refusals that disclose no identifier (#10): the id field each must not carry. */
const NO_IDENTIFIER: Record<string, { field: string; unless: string }> = {
  ensurePhoneNumber: { field: 'phoneId', unless: '^(created|exists|associated|created_and_associated)$' },
  verifyPhoneForSecretKeyRecovery: { field: 'phoneId', unless: '^eligible_for_recovery$' },
  setSecureKey: { field: 'membershipId', unless: '^updated$' },
  login: { field: 'membershipId', unless: '^success$' },
  logLoginAttempt: { field: 'loginAttemptId', unless: '^logged$' },
};

function checkShape(method: string, result: unknown): void {
  const r = result as Record<string, unknown> | null;
  if (!(method in OUTCOMES)) {
    // getPhoneNumber, getPhoneNumberDetails, getFlowState
    if (r === null) return;
    expect(r).toBeTypeOf('object');
    if ('phoneNumber' in r) expect(r.phoneNumber).toMatch(/^\+[1-9]\d{6,14}$/);
    if ('flowId' in r) expect(r.flowId).toMatch(UUID);
    return;
  }
  expect(r, `${method} resolved to a non-object`).toBeTypeOf('object');
  expect(OUTCOMES[method], `${method} resolved to an undocumented outcome ${describeValue(r!.outcome)}`).toContain(r!.outcome);
  for (const [key, value] of Object.entries(r!)) {
    if (/Id$/.test(key) && key !== 'connectionId' && key !== 'loginAttemptId' && value !== null)
      expect(value, `${method}.${key}`).toMatch(UUID);
    if (key === 'retryAfterMs' && value !== null) expect(value, `${method}.retryAfterMs`).toBeGreaterThanOrEqual(0);
  }
  if (method === 'issueOtp' && r!.outcome === 'issued') expect(r!.code).toMatch(/^\d{6}$/);
  const hidden = NO_IDENTIFIER[method];
  if (hidden && !new RegExp(hidden.unless).test(String(r!.outcome)))
    expect(r, `${method} ${String(r!.outcome)} discloses ${hidden.field}`).not.toHaveProperty(hidden.field);
  if (method === 'ensurePhoneNumber')
    expect((r!.phone as { region: unknown }).region, "the number's own region").toMatch(/^([A-Z]{2}|001)$/);
  if (method === 'login' && r!.outcome === 'success') expect(Buffer.isBuffer(r!.secureKey)).toBe(true);
}

/**
 * The client's database, watched: counts the queries of one call and takes a
 * snapshot of all 10 tables just before the first one.
 */
class WatchedDatabase implements Queryable {
  queries = 0;
  before: Record<TableName, string> | undefined;
  constructor(readonly inner: Database) {}
  reset(): void {
    this.queries = 0;
    this.before = undefined;
  }
  private async first(): Promise<void> {
    if (this.queries++ === 0) this.before = await snapshotAllTables(this.inner);
  }
  async query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    await this.first();
    return this.inner.query<Row>(sql, params);
  }
  async exec(script: string): Promise<void> {
    await this.first();
    return this.inner.exec(script);
  }
}

interface FieldSpec {
  name: string;
  /** Random values: mostly plausible, sometimes hostile. */
  arb: () => fc.Arbitrary<unknown>;
  /** A plausible value, for the other fields while one is swept. */
  plain: () => unknown;
}

interface MethodSpec {
  method: string;
  /** Takes one input object with these fields (else positional arguments in this order). */
  object: boolean;
  fields: FieldSpec[];
  call: (client: MembershipsClient, args: unknown[]) => Promise<unknown>;
}

describe.each(engines)('hostile input to the memberships client on %s', (engine: Engine) => {
  let fx: ClientFixture;
  let watched: WatchedDatabase;
  let client: MembershipsClient;
  const known = {
    devices: [] as string[],
    phones: [] as string[],
    phoneIds: [] as string[],
    flows: [] as string[],
    otps: [] as string[],
    memberships: [] as string[],
  };
  const stats = { resolved: 0, invalidInput: 0, keyError: 0, refusedAfterQuery: 0 };

  beforeAll(async () => {
    fx = await openClientFixture(engine, { maxConnections: 4 });
    const setup = fx.client;
    // A member with a secure key, and a second device with a pending flow and an issued code.
    const device = await registeredDevice(setup);
    const phoneId = phoneIdOf(await setup.ensurePhoneNumber({ phoneNumber: '+14155552671', appDeviceId: device }));
    const flow = await setup.initiateVerificationFlow({ appDeviceId: device, phoneId, purpose: 'registration', connectionId: 42 });
    if (flow.outcome !== 'created') throw new Error(`fixture: ${flow.outcome}`);
    const otp = await setup.issueOtp(flow.flow.flowId);
    if (otp.outcome !== 'issued') throw new Error(`fixture: ${otp.outcome}`);
    expect((await setup.verifyOtp(flow.flow.flowId, otp.code)).outcome).toBe('verified');
    const membership = await setup.createMembership({ flowId: flow.flow.flowId, otpId: otp.otpId, connectionId: 42 });
    if (membership.outcome !== 'created') throw new Error(`fixture: ${membership.outcome}`);
    expect(
      (await setup.setSecureKey({ membershipId: membership.membershipId, flowId: flow.flow.flowId, secureKey: randomBytes(32) })).outcome,
    ).toBe('updated');

    const other = await registeredDevice(setup);
    const linkedId = phoneIdOf(await setup.ensurePhoneNumber({ phoneNumber: '+442071838750', appDeviceId: other }));
    const pending = await setup.initiateVerificationFlow({ appDeviceId: other, phoneId: linkedId, purpose: 'login' });
    if (pending.outcome !== 'created') throw new Error(`fixture: ${pending.outcome}`);
    const pendingOtp = await setup.issueOtp(pending.flow.flowId);
    if (pendingOtp.outcome !== 'issued') throw new Error(`fixture: ${pendingOtp.outcome}`);

    known.devices.push(device, other);
    known.phones.push('+14155552671', '+442071838750');
    known.phoneIds.push(phoneId, linkedId);
    known.flows.push(flow.flow.flowId, pending.flow.flowId);
    known.otps.push(otp.otpId, pendingOtp.otpId);
    known.memberships.push(membership.membershipId);

    watched = new WatchedDatabase(fx.db);
    client = new MembershipsClient({ db: watched, secrets: fx.secrets });
  });

  afterAll(async () => {
    console.info(
      `[hostile client ${engine}] ${stats.resolved} resolved, ${stats.invalidInput} InvalidInputError, ${stats.keyError} KeyError ` +
        `(${stats.refusedAfterQuery} refused after querying, tables compared)`,
    );
    await fx?.close();
  });

  // Ids of the fixture (looked up when generating: they exist only after beforeAll), random and upper-case UUIDs.
  const idFrom = (list: () => string[]) =>
    fc.oneof(
      fc.constant(0).chain(() => fc.constantFrom(...list())),
      fc.uuid(),
      fc.uuid().map((u) => u.toUpperCase()),
    );
  const id = (name: string, list: () => string[]): FieldSpec => ({ name, arb: () => field(idFrom(list)), plain: () => list()[0] });
  const devices = () => known.devices;
  const flows = () => known.flows;
  const allIds = () => [...known.devices, ...known.phoneIds, ...known.flows, ...known.otps, ...known.memberships];
  const phone = (name = 'phoneNumber'): FieldSpec => ({
    name,
    arb: () =>
      field(
        fc.oneof(
          fc.constant(0).chain(() => fc.constantFrom(...known.phones)),
          validPhone.map((p) => p.phone),
        ),
      ),
    plain: () => known.phones[0],
  });
  const region: FieldSpec = {
    name: 'region',
    arb: () => field(fc.constantFrom(undefined, null, 'US', 'GB', 'us', 'DE', 'ZZ', 'AQ')),
    plain: () => null,
  };
  const oneOf = (name: string, values: readonly string[]): FieldSpec => ({
    name,
    arb: () => field(fc.constantFrom(...values)),
    plain: () => values[0],
  });
  const connectionId: FieldSpec = {
    name: 'connectionId',
    arb: () =>
      field(fc.oneof(fc.constant(42), fc.constant(null), fc.constant(undefined), fc.integer({ min: 0, max: 2 ** 31 }), fc.maxSafeNat())),
    plain: () => 42,
  };
  const outcomeText: FieldSpec = {
    name: 'outcome',
    arb: () => field(fc.oneof(fc.constantFrom('invalid_passphrase', 'wrong_pin', 'created'), fc.string({ minLength: 1, maxLength: 255 }))),
    plain: () => 'invalid_passphrase',
  };
  const isSuccess: FieldSpec = { name: 'isSuccess', arb: () => field(fc.boolean()), plain: () => false };

  const METHODS: MethodSpec[] = [
    {
      method: 'registerDevice',
      object: true,
      fields: [
        { name: 'appInstanceId', arb: () => field(fc.uuid()), plain: () => '3f1e0d2c-4b5a-4978-8695-a4b3c2d1e0f9' },
        id('deviceId', devices),
        { name: 'deviceType', arb: () => field(fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined })), plain: () => 1 },
      ],
      call: (c, [input]) => c.registerDevice(input as never),
    },
    {
      method: 'ensurePhoneNumber',
      object: true,
      fields: [phone(), region, id('appDeviceId', devices)],
      call: (c, [input]) => c.ensurePhoneNumber(input as never),
    },
    {
      method: 'verifyPhoneForSecretKeyRecovery',
      object: true,
      fields: [phone(), region],
      call: (c, [input]) => c.verifyPhoneForSecretKeyRecovery(input as never),
    },
    {
      method: 'initiateVerificationFlow',
      object: true,
      fields: [id('appDeviceId', devices), id('phoneId', () => known.phoneIds), oneOf('purpose', FLOW_PURPOSES), connectionId],
      call: (c, [input]) => c.initiateVerificationFlow(input as never),
    },
    { method: 'requestResendOtp', object: false, fields: [id('flowId', flows)], call: (c, [a]) => c.requestResendOtp(a as never) },
    { method: 'issueOtp', object: false, fields: [id('flowId', flows)], call: (c, [a]) => c.issueOtp(a as never) },
    {
      method: 'verifyOtp',
      object: false,
      fields: [id('flowId', flows), { name: 'code', arb: () => field(fc.stringMatching(/^\d{6}$/)), plain: () => '000000' }],
      call: (c, [a, b]) => c.verifyOtp(a as never, b as never),
    },
    {
      method: 'updateOtpStatus',
      object: false,
      fields: [id('otpId', () => known.otps), oneOf('status', FLOW_STATUSES)],
      call: (c, [a, b]) => c.updateOtpStatus(a as never, b as never),
    },
    {
      method: 'updateVerificationFlowStatus',
      object: false,
      fields: [id('flowId', flows), oneOf('status', FLOW_STATUSES)],
      call: (c, [a, b]) => c.updateVerificationFlowStatus(a as never, b as never),
    },
    { method: 'expireAssociatedOtp', object: false, fields: [id('flowId', flows)], call: (c, [a]) => c.expireAssociatedOtp(a as never) },
    {
      method: 'logLoginAttempt',
      object: true,
      fields: [phone(), outcomeText, isSuccess],
      call: (c, [input]) => c.logLoginAttempt(input as never),
    },
    { method: 'confirmLogin', object: false, fields: [phone()], call: (c, [a]) => c.confirmLogin(a as never) },
    {
      method: 'logMembershipAttempt',
      object: true,
      fields: [id('phoneId', () => known.phoneIds), outcomeText, isSuccess],
      call: (c, [input]) => c.logMembershipAttempt(input as never),
    },
    {
      method: 'createMembership',
      object: true,
      fields: [id('flowId', flows), id('otpId', () => known.otps), connectionId, oneOf('creationStatus', CREATION_STATUSES)],
      call: (c, [input]) => c.createMembership(input as never),
    },
    {
      method: 'setSecureKey',
      object: true,
      fields: [
        id('membershipId', () => known.memberships),
        id('flowId', flows),
        {
          name: 'secureKey',
          arb: () =>
            field(
              fc.oneof(
                fc.uint8Array({ minLength: 1, maxLength: 64 }),
                fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
                fc.constantFrom(new Uint8Array(0), Buffer.alloc(8192, 7), Buffer.alloc(8193, 7)),
              ),
            ),
          plain: () => Buffer.alloc(32, 1),
        },
      ],
      call: (c, [input]) => c.setSecureKey(input as never),
    },
    { method: 'login', object: false, fields: [phone(), region], call: (c, [a, b]) => c.login(a as never, b as never) },
    {
      method: 'getPhoneNumber',
      object: false,
      fields: [id('phoneId', () => known.phoneIds)],
      call: (c, [a]) => c.getPhoneNumber(a as never),
    },
    {
      method: 'getPhoneNumberDetails',
      object: false,
      fields: [id('phoneId', allIds)],
      call: (c, [a]) => c.getPhoneNumberDetails(a as never),
    },
    { method: 'getFlowState', object: false, fields: [id('flowId', flows)], call: (c, [a]) => c.getFlowState(a as never) },
  ];

  /**
   * One call: a documented outcome, or InvalidInputError/KeyError with the
   * tables unchanged. Anything else fails, naming the arguments.
   */
  async function probe(spec: MethodSpec, args: unknown[]): Promise<void> {
    watched.reset();
    let result: unknown;
    let error: unknown;
    try {
      result = await spec.call(client, args);
    } catch (e) {
      error = e;
    }
    const what = `${spec.method}(${args.map(describeValue).join(', ')})`;
    if (error === undefined) {
      stats.resolved += 1;
      try {
        checkShape(spec.method, result);
      } catch (e) {
        throw new Error(`${what} resolved to ${describeValue(result)}: ${(e as Error).message}`, { cause: e });
      }
      return;
    }
    if (error instanceof InvalidInputError) {
      stats.invalidInput += 1;
      expect(error.field, `${what}: InvalidInputError without a field`).toMatch(/^[a-zA-Z]+$/);
    } else if (error instanceof KeyError) {
      stats.keyError += 1;
    } else {
      const e = error as { name?: string; code?: string; message?: string } | null;
      throw new Error(`${what} rejected with ${e?.name ?? typeof error}${e?.code ? ` (${e.code})` : ''}: ${e?.message ?? String(error)}`);
    }
    if (watched.queries > 0) {
      stats.refusedAfterQuery += 1;
      expect(await snapshotAllTables(fx.db), `${what} was refused after querying, and changed rows`).toEqual(watched.before);
    }
  }

  const argsOf = (spec: MethodSpec, values: Record<string, unknown>): unknown[] =>
    spec.object ? [values] : spec.fields.map((f) => values[f.name]);
  const plainValues = (spec: MethodSpec) => Object.fromEntries(spec.fields.map((f) => [f.name, f.plain()]));

  for (const spec of METHODS) {
    describe(spec.method, () => {
      it('every edge value in every field: a documented outcome, or InvalidInputError/KeyError and nothing written', async () => {
        for (const f of spec.fields) {
          for (const value of EDGE_CONSTANTS) await probe(spec, argsOf(spec, { ...plainValues(spec), [f.name]: value }));
        }
        // The whole input replaced, and a field left out.
        if (spec.object) {
          for (const value of EDGE_CONSTANTS) await probe(spec, [value]);
          for (const f of spec.fields) {
            const { [f.name]: _left, ...rest } = plainValues(spec);
            await probe(spec, [rest]);
          }
        } else {
          await probe(spec, []);
        }
      });

      it('random mixes (fast-check): a documented outcome, or InvalidInputError/KeyError and nothing written', async () => {
        const record = fc.record(Object.fromEntries(spec.fields.map((f) => [f.name, f.arb()])));
        const args = spec.object
          ? fc.oneof({ arbitrary: record.map((r) => [r] as unknown[]), weight: 12 }, { arbitrary: hostile.map((h) => [h]), weight: 1 })
          : record.map((r) => argsOf(spec, r));
        await fc.assert(
          fc.asyncProperty(args, (a) => probe(spec, a)),
          fcParams(NUM_RUNS),
        );
      });
    });
  }

  it('the constructor refuses a bad otpLifetimeSeconds with InvalidInputError', () => {
    for (const lifetime of [...EDGE_CONSTANTS, 0, 3601]) {
      try {
        new MembershipsClient({ db: fx.db, secrets: fx.secrets, otpLifetimeSeconds: lifetime as number });
        // Accepted: absent (null/undefined: the 30 s default) or a whole number of seconds from 1 to 3600.
        if (lifetime !== undefined && lifetime !== null)
          expect(lifetime).toSatisfy((v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 3600);
      } catch (error) {
        if (!(error instanceof InvalidInputError))
          throw new Error(`otpLifetimeSeconds ${describeValue(lifetime)}: ${(error as Error)?.name}: ${(error as Error)?.message}`, {
            cause: error,
          });
      }
    }
  });

  it('every region libphonenumber gives a number is one the database accepts', async () => {
    const regions = [...getCountries(), '001'];
    const { rows } = await fx.db.query<{ region: string }>(
      'SELECT r AS region FROM unnest($1::text[]) r WHERE NOT ecliptix_internal.is_known_region(r)',
      [regions],
    );
    expect(rows).toEqual([]);
  });

  it('afterwards, the fixture member still signs in with its key (at once, or once its lockouts and key releases are over)', async () => {
    const signedIn = await fx.client.login(known.phones[0]!);
    // Hostile calls may have locked the number, or used up its key releases (10 an hour without a confirmation).
    expect(['success', 'locked', 'too_many_key_releases']).toContain(signedIn.outcome);
    await advanceClock(fx.db, 2 * 3600);
    const later = await fx.client.login(known.phones[0]!);
    expect(later).toMatchObject({ outcome: 'success', membershipId: known.memberships[0] });
    expect(await fx.client.confirmLogin(known.phones[0]!)).toEqual({ outcome: 'confirmed' });
  });
});
