/**
 * The user journey, step by step, as the memberships client makes it:
 * register the device, register the phone, start a verification flow, issue
 * the OTP, verify it, create the membership, store the secure key (the
 * verified flow as proof), log in (the key released), confirm the sign-in.
 * Each step is also a routine benchmarked alone: the identities one step
 * produces are the inputs of the next, so no preparation is wasted.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  generateKeyring,
  openMembershipsClient,
  type MembershipsClient,
  type OpenedMembershipsClient,
  type Secrets,
} from '../src/index.js';
import { drive, phoneFor, withoutOutputs, type DriveSummary } from './support.js';

export interface Identity {
  phone: string;
  appDeviceId?: string;
  phoneId?: string;
  flowId?: string;
  otpId?: string;
  code?: string;
  membershipId?: string;
}

export interface StepResult {
  ok: boolean;
  outcome: string;
  value?: Identity;
}

export interface Step {
  /** The client method. */
  name: string;
  /** Round trips to the database it makes. */
  roundTrips: number;
  run(client: MembershipsClient, identity: Identity): Promise<StepResult>;
}

const CONNECTION_ID = 42;
const result = (outcome: string, expected: string, value: Identity): StepResult =>
  outcome === expected ? { ok: true, outcome, value } : { ok: false, outcome };

/** The journey's steps, in order. */
export const JOURNEY: readonly Step[] = [
  {
    name: 'registerDevice',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() });
      return result(r.outcome, 'created', { ...id, appDeviceId: r.deviceId });
    },
  },
  {
    name: 'ensurePhoneNumber',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.ensurePhoneNumber({ phoneNumber: id.phone, appDeviceId: id.appDeviceId! });
      return result(r.outcome, 'created_and_associated', { ...id, phoneId: 'phoneId' in r ? r.phoneId : undefined });
    },
  },
  {
    name: 'initiateVerificationFlow',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.initiateVerificationFlow({
        appDeviceId: id.appDeviceId!,
        phoneId: id.phoneId!,
        purpose: 'registration',
        connectionId: CONNECTION_ID,
      });
      return r.outcome === 'created'
        ? { ok: true, outcome: r.outcome, value: { ...id, flowId: r.flow.flowId } }
        : { ok: false, outcome: r.outcome };
    },
  },
  {
    name: 'issueOtp',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.issueOtp(id.flowId!);
      return r.outcome === 'issued'
        ? { ok: true, outcome: r.outcome, value: { ...id, otpId: r.otpId, code: r.code } }
        : { ok: false, outcome: r.outcome };
    },
  },
  {
    name: 'verifyOtp',
    roundTrips: 2,
    async run(client, id) {
      const r = await client.verifyOtp(id.flowId!, id.code!);
      return result(r.outcome, 'verified', id);
    },
  },
  {
    name: 'createMembership',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.createMembership({ flowId: id.flowId!, otpId: id.otpId!, connectionId: CONNECTION_ID });
      return r.outcome === 'created'
        ? { ok: true, outcome: r.outcome, value: { ...id, membershipId: r.membershipId } }
        : { ok: false, outcome: r.outcome };
    },
  },
  {
    name: 'setSecureKey',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.setSecureKey({ membershipId: id.membershipId!, flowId: id.flowId!, secureKey: randomBytes(32) });
      return result(r.outcome, 'updated', id);
    },
  },
  {
    name: 'login',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.login(id.phone);
      return result(r.outcome, 'success', id);
    },
  },
  {
    // The passphrase opened the released key: only this resets the number's lockout ladder.
    name: 'confirmLogin',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.confirmLogin(id.phone);
      return result(r.outcome, 'confirmed', id);
    },
  },
];

const step = (name: string): Step => JOURNEY.find((s) => s.name === name)!;

/**
 * A sign-up the routine-level way: the journey up to the first sign-in
 * (the key released), without its confirmation — 9 round trips.
 */
export const SIGN_UP_ROUTINE_LEVEL: readonly Step[] = JOURNEY.filter((s) => s.name !== 'confirmLogin');

/**
 * The same sign-up as the user's actions (issue 14): register the device,
 * "send me a code" (startVerification), "here is my code" (checkCode, which
 * creates the membership), store the secure key, sign in — 5 round trips.
 */
export const SIGN_UP_ACTIONS: readonly Step[] = [
  step('registerDevice'),
  {
    name: 'startVerification',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.startVerification({
        phoneNumber: id.phone,
        appDeviceId: id.appDeviceId!,
        purpose: 'registration',
        connectionId: CONNECTION_ID,
      });
      return r.outcome === 'issued' && !r.resumed
        ? { ok: true, outcome: r.outcome, value: { ...id, flowId: r.flow.flowId, otpId: r.otpId, code: r.code } }
        : { ok: false, outcome: r.outcome };
    },
  },
  {
    name: 'checkCode',
    roundTrips: 1,
    async run(client, id) {
      const r = await client.checkCode(id.flowId!, id.code!, { connectionId: CONNECTION_ID });
      return r.outcome === 'verified' && r.membership?.outcome === 'created'
        ? { ok: true, outcome: r.outcome, value: { ...id, membershipId: r.membership.membershipId } }
        : { ok: false, outcome: r.outcome === 'verified' ? `membership ${r.membership?.outcome}` : r.outcome };
    },
  },
  step('setSecureKey'),
  step('login'),
];

/** Round trips of a sequence of steps. */
export const roundTripsOf = (steps: readonly Step[]): number => steps.reduce((sum, s) => sum + s.roundTrips, 0);

/** Not part of the journey, benchmarked alone: a sign-in that failed after the key was released. */
export const LOG_LOGIN_ATTEMPT: Step = {
  name: 'logLoginAttempt',
  roundTrips: 1,
  async run(client, id) {
    const r = await client.logLoginAttempt({ phoneNumber: id.phone, outcome: 'invalid_passphrase', isSuccess: false });
    return result(r.outcome, 'logged', id);
  },
};

/** A sign-up: the journey up to the stored secure key (no login). */
export const SIGN_UP: readonly Step[] = JOURNEY.filter((s) => s.name !== 'login' && s.name !== 'confirmLogin');

export const JOURNEY_ROUND_TRIPS = JOURNEY.reduce((sum, s) => sum + s.roundTrips, 0);

/** The whole journey for one new identity; the outcome names the first step that went wrong. */
export async function runJourney(
  client: MembershipsClient,
  phone: string,
  steps: readonly Step[] = JOURNEY,
  onStep?: (name: string, ms: number) => void,
): Promise<StepResult> {
  let identity: Identity = { phone };
  for (const step of steps) {
    const t0 = performance.now();
    const r = await step.run(client, identity);
    onStep?.(step.name, performance.now() - t0);
    if (!r.ok) return { ok: false, outcome: `${step.name}: ${r.outcome}` };
    identity = r.value!;
  }
  return { ok: true, outcome: 'done', value: identity };
}

/**
 * Untimed journeys before a measurement, a few per pooled connection: a new
 * connection compiles each PL/pgSQL routine and plans its statements on
 * first use, which costs hundreds of milliseconds at 16 connections — a
 * start-up cost, not the steady state an application's pool runs in.
 */
export async function warmUp(client: MembershipsClient, clients: number, phoneBlock: number): Promise<void> {
  await drive(clients, { count: clients * 3, timeMs: 10_000 }, (i) => runJourney(client, phoneFor(phoneBlock, i)));
}

/** Keys made up for the run (the database never sees them). */
export function benchSecrets(): Secrets {
  return { otpKeys: generateKeyring('bench-otp'), dataKeys: generateKeyring('bench-data') };
}

/** An OTP lifetime long enough that no code expires between the phases of a run. */
export const OTP_LIFETIME_SECONDS = 3600;

/** A client over a server database with `connections` pooled connections, all opened before it is returned. */
export async function openServerClient(url: string, connections: number, secrets = benchSecrets()): Promise<OpenedMembershipsClient> {
  const client = await openMembershipsClient({
    databaseUrl: url,
    maxConnections: connections,
    secrets,
    otpLifetimeSeconds: OTP_LIFETIME_SECONDS,
  });
  await Promise.all(Array.from({ length: connections }, () => client.database.query('SELECT pg_sleep(0.01)')));
  return client;
}

/**
 * Settings for a benchmark database: the flow lifetime (1 minute) is raised
 * to 1 hour so that a flow created in one phase is still live in the next;
 * no limit is changed (every identity has its own phone number).
 */
export const BENCH_SETTINGS_SQL = `UPDATE ecliptix_internal.settings SET value = '1 hour' WHERE name = 'flow_lifetime'`;

/**
 * Each routine alone: `count` new identities go through the journey one
 * step at a time — every step runs on its own with `clients` concurrent
 * callers, on the identities the previous step produced — then
 * logLoginAttempt on the members made. Returns one result per routine.
 */
export async function routinesAlone(
  client: MembershipsClient,
  clients: number,
  bounds: { count: number; timeMs: number },
  phoneBlock: number,
): Promise<{ summaries: Record<string, DriveSummary>; samples: Record<string, number[]> }> {
  const summaries: Record<string, DriveSummary> = {};
  const samples: Record<string, number[]> = {};
  let identities: Identity[] = Array.from({ length: bounds.count }, (_, i) => ({ phone: phoneFor(phoneBlock, i) }));
  for (const step of [...JOURNEY, LOG_LOGIN_ATTEMPT]) {
    const inputs = identities;
    const r = await drive(clients, { count: inputs.length, timeMs: bounds.timeMs }, (i) => step.run(client, inputs[i]!));
    summaries[step.name] = withoutOutputs(r);
    samples[step.name] = r.samplesMs;
    identities = r.outputs;
  }
  return { summaries, samples };
}
