/**
 * The seed's "test core functionality", automated: a whole journey through
 * all APPLICATION_ROUTINES (schema/manifest.ts: the seed's 17 and the user actions) — register a
 * device, create a phone number, run a verification flow to a membership with a secure key, log
 * in, send and check a code as the user actions do — inside one
 * transaction that is always rolled back, so production keeps no test data.
 * The phone number is random, so real rows never interfere.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Database, Queryable } from '../db/database.js';
import { messageOf } from '../errors.js';
import { sqlFile } from '../sql-files.js';

/** One step of the core-functionality journey and how it went. */
export interface CoreCheck {
  name: string;
  /** The routine it calls. */
  routine: string;
  passed: boolean;
  /** What was expected and what came back, when it failed; 'not run' after an earlier failure. */
  detail?: string;
  durationMs: number;
}

/** The whole journey: passed only when every step did. */
export interface CoreChecksReport {
  passed: boolean;
  checks: CoreCheck[];
}

type Row = Record<string, unknown>;

interface Journey {
  appInstanceId: string;
  deviceId: string;
  phone: string;
  connectionId: number;
  device?: string;
  phoneUid?: string;
  flow?: string;
  otp?: string;
  membership?: string;
  loginFlow?: string;
  actionFlow?: string;
}

interface Step {
  name: string;
  routine: string;
  file: string;
  params: (j: Journey) => unknown[];
  /** Returns why the rows are wrong, or undefined when they are right. */
  check: (rows: Row[], j: Journey) => string | undefined;
}

function outcome(expected: string, keep?: (row: Row, j: Journey) => void): Step['check'] {
  return (rows, j) => {
    if (rows.length !== 1) return `expected one row with outcome ${expected}, got ${rows.length} rows`;
    const row = rows[0]!;
    if (row.outcome !== expected) return `expected outcome ${expected}, got ${String(row.outcome)}`;
    keep?.(row, j);
    return undefined;
  };
}

function oneRow(test: (row: Row, j: Journey) => string | undefined): Step['check'] {
  return (rows, j) => (rows.length === 1 ? test(rows[0]!, j) : `expected one row, got ${rows.length}`);
}

const STEPS: Step[] = [
  {
    name: 'register a device',
    routine: 'register_app_device_if_not_exists',
    file: '01-register-device',
    params: (j) => [j.appInstanceId, j.deviceId],
    check: outcome('created', (r, j) => (j.device = r.app_device_id as string)),
  },
  {
    name: 'register the same device again',
    routine: 'register_app_device_if_not_exists',
    file: '02-register-device-again',
    params: (j) => [j.appInstanceId, j.deviceId],
    check: outcome('exists'),
  },
  {
    name: 'create a phone number for the device',
    routine: 'ensure_phone_number',
    file: '03-ensure-phone-number',
    params: (j) => [j.phone, j.device],
    check: outcome('created_and_associated', (r, j) => (j.phoneUid = r.phone_unique_id as string)),
  },
  {
    name: 'read the phone number',
    routine: 'get_phone_number',
    file: '04-get-phone-number',
    params: (j) => [j.phoneUid],
    check: oneRow((r, j) => (r.phone_number === j.phone ? undefined : `expected ${j.phone}, got ${String(r.phone_number)}`)),
  },
  {
    name: 'read the phone number details',
    routine: 'get_phone_number_details',
    file: '05-get-phone-number-details',
    params: (j) => [j.phoneUid],
    check: oneRow((r, j) => (r.phone_unique_id === j.phoneUid ? undefined : 'phone_unique_id does not match')),
  },
  {
    name: 'start a registration flow',
    routine: 'initiate_verification_flow',
    file: '06-initiate-registration-flow',
    params: (j) => [j.device, j.phoneUid, j.connectionId],
    check: outcome('created', (r, j) => (j.flow = r.flow_unique_id as string)),
  },
  {
    name: 'ask to send an OTP',
    routine: 'request_resend_otp',
    file: '07-request-resend-otp',
    params: (j) => [j.flow],
    check: outcome('resend_allowed'),
  },
  {
    name: 'store the OTP',
    routine: 'insert_otp_record',
    file: '08-insert-otp-record',
    params: (j) => [j.flow],
    check: outcome('created', (r, j) => (j.otp = r.otp_unique_id as string)),
  },
  {
    name: 'read the flow with its OTP',
    routine: 'get_full_flow_state',
    file: '09-get-full-flow-state',
    params: (j) => [j.flow],
    check: oneRow((r, j) => (r.otp_unique_id === j.otp ? undefined : 'the active OTP is not the one stored')),
  },
  { name: 'verify the OTP', routine: 'update_otp_status', file: '10-verify-otp', params: (j) => [j.otp], check: outcome('updated') },
  {
    name: 'create the membership',
    routine: 'create_membership',
    file: '11-create-membership',
    params: (j) => [j.flow, j.connectionId, j.otp],
    check: outcome('created', (r, j) => (j.membership = r.membership_unique_id as string)),
  },
  {
    name: 'set the secure key',
    routine: 'update_membership_secure_key',
    file: '12-set-secure-key',
    params: (j) => [j.membership, j.flow],
    check: outcome('updated'),
  },
  {
    name: 'check secret key recovery',
    routine: 'verify_phone_for_secret_key_recovery',
    file: '13-secret-key-recovery',
    params: (j) => [j.phone],
    check: outcome('eligible_for_recovery'),
  },
  { name: 'log in', routine: 'login_membership', file: '14-login', params: (j) => [j.phone], check: outcome('success') },
  {
    name: 'record a login attempt',
    routine: 'log_login_attempt',
    file: '15-log-login-attempt',
    params: (j) => [j.phone],
    check: outcome('logged'),
  },
  {
    name: 'record a membership attempt',
    routine: 'log_membership_attempt',
    file: '16-log-membership-attempt',
    params: (j) => [j.phoneUid],
    check: outcome('logged'),
  },
  {
    name: 'start a login flow',
    routine: 'initiate_verification_flow',
    file: '17-initiate-login-flow',
    params: (j) => [j.device, j.phoneUid],
    check: outcome('created', (r, j) => (j.loginFlow = r.flow_unique_id as string)),
  },
  {
    name: "expire the login flow's OTPs",
    routine: 'expire_associated_otp',
    file: '18-expire-associated-otp',
    params: (j) => [j.loginFlow],
    check: outcome('expired'),
  },
  {
    name: 'mark the login flow failed',
    routine: 'update_verification_flow_status',
    file: '19-fail-flow',
    params: (j) => [j.loginFlow],
    check: outcome('updated'),
  },
  {
    name: 'send a code (user action)',
    routine: 'start_verification',
    file: '20-start-verification',
    params: (j) => [j.phone, j.device, randomUUID()],
    check: outcome('code_issued', (row, j) => (j.actionFlow = row.flow_unique_id as string)),
  },
  {
    name: 'check the code (user action)',
    routine: 'check_code',
    file: '21-check-code',
    params: (j) => [j.actionFlow],
    check: outcome('verified'),
  },
];

/** A random E.164 number in a range no real subscriber has (+1 999 …). */
function randomPhone(): string {
  return `+1999${String(randomInt(0, 1e9)).padStart(9, '0')}`;
}

async function runSteps(tx: Queryable): Promise<CoreCheck[]> {
  const journey: Journey = {
    appInstanceId: randomUUID(),
    deviceId: randomUUID(),
    phone: randomPhone(),
    connectionId: randomInt(1, 2 ** 31),
  };
  const checks: CoreCheck[] = [];
  let failed = false;
  for (const step of STEPS) {
    if (failed) {
      checks.push({ name: step.name, routine: step.routine, passed: false, detail: 'not run (an earlier check failed)', durationMs: 0 });
      continue;
    }
    const started = performance.now();
    let detail: string | undefined;
    try {
      const { rows } = await tx.query<Row>(sqlFile(`operations/core-checks/${step.file}.sql`), step.params(journey));
      detail = step.check(rows, journey);
    } catch (error) {
      // The transaction is aborted now: the remaining steps cannot run.
      detail = `error: ${messageOf(error)}`;
    }
    const durationMs = Number((performance.now() - started).toFixed(2));
    failed = detail !== undefined;
    checks.push({ name: step.name, routine: step.routine, passed: !failed, ...(detail === undefined ? {} : { detail }), durationMs });
  }
  return checks;
}

/** Runs the journey in a transaction that is rolled back whatever happens. */
export async function runCoreChecks(db: Database): Promise<CoreChecksReport> {
  let checks: CoreCheck[] = [];
  try {
    // A failed step aborts the transaction; the results are kept and it rolls back anyway.
    await db.transaction(
      async (tx) => {
        checks = await runSteps(tx);
      },
      { rollback: true },
    );
  } catch (error) {
    if (checks.length === 0) throw error;
  }
  return { passed: checks.length === STEPS.length && checks.every((c) => c.passed), checks };
}
