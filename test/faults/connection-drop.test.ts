/**
 * A connection drop in the middle of the journey leaves no half-written
 * state, and the next calls succeed.
 *
 * On the server the drop is pg_terminate_backend of the client's own backend:
 *   - inside a transaction that has called several routines (device, phone,
 *     flow, OTP) and not yet committed;
 *   - while a routine runs: create_membership has inserted the membership and
 *     waits for a row lock that another session holds on the OTP it must
 *     deactivate;
 *   - at random moments while several client journeys run concurrently, after
 *     which the data must satisfy the invariants that every routine keeps in
 *     one transaction.
 * PGlite has no connection to drop: its counterpart is the process dying in
 * the middle of a transaction (kill -9 of a process that holds the database
 * open), after which the reopened database holds nothing of it.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyring } from '../../src/client/keyring.js';
import { createMembershipsClient, type MembershipsClient } from '../../src/client/memberships-client.js';
import type { Database } from '../../src/db/database.js';
import { nextUsPhone, openClientFixture, phoneIdOf, type ClientFixture } from '../client/client-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import {
  call,
  countAllTables,
  ensurePhone,
  initiateFlow,
  insertOtp,
  pendingFlow,
  registerDevice,
  snapshotAllTables,
} from '../schema/journey.js';
import { faultSeed, isConnectionFault, seededRandom } from './support.js';

const distDir = fileURLToPath(new URL('../../dist/', import.meta.url));

async function withAdmin<T>(url: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Invariants each routine keeps within its one transaction; a half-written call would break one of them. */
async function expectConsistent(db: Database): Promise<void> {
  const otpCounts = await db.query<{ unique_id: string; otp_count: number; otps: number }>(
    `SELECT f.unique_id, f.otp_count, (SELECT count(*)::int FROM ecliptix.otp_records o WHERE o.flow_unique_id = f.unique_id) AS otps
       FROM ecliptix.verification_flows f WHERE f.otp_count <> (SELECT count(*) FROM ecliptix.otp_records o WHERE o.flow_unique_id = f.unique_id)`,
  );
  expect(otpCounts.rows, 'flows whose otp_count differs from their OTP rows').toEqual([]);
  const { rows } = await db.query<Record<string, number>>(`
    SELECT (SELECT count(*)::int FROM ecliptix.memberships) AS memberships,
           (SELECT count(*)::int FROM ecliptix.membership_attempts WHERE outcome = 'created' AND is_success) AS created_logged,
           (SELECT count(*)::int FROM ecliptix.memberships m
             WHERE m.creation_status = 'secure_key_set' AND (m.secure_key IS NULL OR NOT EXISTS (
               SELECT 1 FROM ecliptix.membership_attempts a WHERE a.phone_number_id = m.phone_number_id AND a.outcome = 'secure_key_set' AND a.is_success))) AS key_without_log,
           (SELECT count(*)::int FROM ecliptix.membership_attempts a
             WHERE a.outcome = 'secure_key_set' AND a.is_success AND NOT EXISTS (
               SELECT 1 FROM ecliptix.memberships m WHERE m.phone_number_id = a.phone_number_id AND m.creation_status = 'secure_key_set' AND m.secure_key IS NOT NULL)) AS log_without_key,
           (SELECT count(*)::int FROM ecliptix.memberships m JOIN ecliptix.verification_flows f ON f.unique_id = m.verification_flow_id
             WHERE f.status <> 'verified') AS membership_of_unverified_flow,
           (SELECT count(*)::int FROM (SELECT flow_unique_id FROM ecliptix.otp_records WHERE is_active AND NOT is_deleted GROUP BY 1 HAVING count(*) > 1) x) AS flows_with_two_active_otps`);
  expect(rows[0]).toEqual({
    memberships: rows[0]!.memberships,
    created_logged: rows[0]!.memberships,
    key_without_log: 0,
    log_without_key: 0,
    membership_of_unverified_flow: 0,
    flows_with_two_active_otps: 0,
  });
}

/** A full client journey: device, phone, flow, code, verification, membership, secure key (the flow as proof), sign-in (key release). */
async function journey(client: MembershipsClient, phone: string): Promise<string> {
  const device = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() });
  const phoneRow = await client.ensurePhoneNumber({ phoneNumber: phone, appDeviceId: device.deviceId });
  const flow = await client.initiateVerificationFlow({
    appDeviceId: device.deviceId,
    phoneId: phoneIdOf(phoneRow),
    purpose: 'registration',
    connectionId: 7,
  });
  if (flow.outcome !== 'created' && flow.outcome !== 'retrieved') return `flow ${flow.outcome}`;
  const otp = await client.issueOtp(flow.flow.flowId);
  if (otp.outcome !== 'issued') return `otp ${otp.outcome}`;
  const checked = await client.verifyOtp(flow.flow.flowId, otp.code);
  if (checked.outcome !== 'verified') return `verify ${checked.outcome}`;
  const membership = await client.createMembership({ flowId: flow.flow.flowId, otpId: otp.otpId, connectionId: 7 });
  if (membership.outcome !== 'created') return `membership ${membership.outcome}`;
  const key = await client.setSecureKey({ membershipId: membership.membershipId, flowId: flow.flow.flowId, secureKey: randomBytes(32) });
  if (key.outcome !== 'updated') return `key ${key.outcome}`;
  const login = await client.login(phone);
  return login.outcome;
}

describe('connection drop on postgres', () => {
  let fx: ClientFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('terminated inside a transaction that called several routines: nothing of it remains, the next calls succeed', async () => {
    fx = await openClientFixture('postgres', { maxConnections: 4 });
    const db = fx.db;
    const url = fx.target.config.databaseUrl!;
    const before = await snapshotAllTables(db);

    let reached!: () => void;
    const reachedMiddle = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const terminated = new Promise<void>((resolve) => (release = resolve));
    let backendPid = 0;
    const work = db.transaction(async (tx) => {
      backendPid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const device = await registerDevice(tx);
      const phone = await ensurePhone(tx, nextUsPhone(), null, device.deviceUid);
      const flow = await initiateFlow(tx, device.deviceUid, phone.phone_unique_id, 'registration', 9);
      await insertOtp(tx, flow.flow_unique_id!);
      reached();
      await terminated;
      // The connection is gone: this fails, and so does the commit.
      await call(tx, 'log_membership_attempt', phone.phone_unique_id, 'after_drop', false);
    });
    const outcome = work.then(
      () => undefined,
      (error: unknown) => error,
    );

    await reachedMiddle;
    expect(backendPid).toBeGreaterThan(0);
    await withAdmin(url, (admin) => admin.query('SELECT pg_terminate_backend($1)', [backendPid]));
    // Let the termination reach the idle-in-transaction client before it is used again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    const error = await outcome;
    expect(error, 'the transaction must fail').toBeDefined();
    expect(isConnectionFault(error), `a connection error, got: ${(error as Error)?.message}`).toBe(true);

    expect(await snapshotAllTables(db)).toEqual(before);
    // The pool replaces the dead connection: the next calls, and a whole journey, succeed.
    const results = await Promise.all(
      Array.from({ length: 6 }, () => fx!.client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() })),
    );
    expect(results.map((r) => r.outcome)).toEqual(Array(6).fill('created'));
    expect(await journey(fx.client, nextUsPhone())).toBe('success');
  });

  it('terminated while create_membership waits, its membership inserted: no membership, no attempt logged; the retry creates it', async () => {
    fx = await openClientFixture('postgres', { maxConnections: 4 });
    const db = fx.db;
    const url = fx.target.config.databaseUrl!;
    // A verified registration flow whose OTP is still active (the flow set verified directly in the table: no
    // routine verifies a flow without deactivating its code), so create_membership must update the OTP row.
    const journeyRow = await pendingFlow(db, { connectionId: 42 });
    const verified = await db.query(
      `UPDATE ecliptix.verification_flows SET status = 'verified', expires_at = ecliptix_internal.now() + interval '24 hours' WHERE unique_id = $1`,
      [journeyRow.flowUid],
    );
    expect(verified.rowCount).toBe(1);
    const before = await snapshotAllTables(db);
    const counts = await countAllTables(db);

    await withAdmin(url, async (locker) => {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM ecliptix.otp_records WHERE unique_id = $1 FOR UPDATE', [journeyRow.otpUid]);
      const creating = fx!.client.createMembership({ flowId: journeyRow.flowUid, otpId: journeyRow.otpUid, connectionId: 42 }).then(
        (result) => ({ result, error: undefined as unknown }),
        (error: unknown) => ({ result: undefined, error }),
      );
      const pid = await withAdmin(url, (admin) =>
        waitFor('create_membership to wait for the OTP row lock', async () => {
          const { rows } = await admin.query<{ pid: number }>(
            `SELECT a.pid FROM pg_stat_activity a
              WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' AND a.query LIKE '%ecliptix.create_membership(%'`,
          );
          return rows[0]?.pid;
        }),
      );
      await withAdmin(url, async (admin) => {
        // It is in the middle: its membership row is written (it holds RowExclusiveLock on memberships), not committed.
        const { rows } = await admin.query(
          `SELECT 1 FROM pg_locks WHERE pid = $1 AND relation = 'ecliptix.memberships'::regclass AND mode = 'RowExclusiveLock'`,
          [pid],
        );
        expect(rows).toHaveLength(1);
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      });
      const { result, error } = await creating;
      expect(result, 'the call must fail').toBeUndefined();
      expect(isConnectionFault(error), `a connection error, got: ${(error as Error)?.message}`).toBe(true);
      await locker.query('ROLLBACK');
    });

    expect(await countAllTables(db)).toEqual(counts);
    expect(await snapshotAllTables(db)).toEqual(before);
    const retried = await fx.client.createMembership({ flowId: journeyRow.flowUid, otpId: journeyRow.otpUid, connectionId: 42 });
    expect(retried.outcome).toBe('created');
    await expectConsistent(db);
  });

  it('backends terminated at random moments during concurrent journeys: every invariant holds, then a journey succeeds', async () => {
    fx = await openClientFixture('postgres', { maxConnections: 6 });
    const url = fx.target.config.databaseUrl!;
    const seed = faultSeed(62_003);
    const random = seededRandom(seed);
    const client = fx.client;
    let stop = false;
    const errors: string[] = [];
    const outcomes = new Map<string, number>();
    let terminations = 0;

    const worker = async () => {
      while (!stop) {
        try {
          const outcome = await journey(client, nextUsPhone());
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        } catch (error) {
          if (!isConnectionFault(error)) errors.push(`${(error as Error)?.name}: ${(error as Error)?.message}`);
          outcomes.set('dropped', (outcomes.get('dropped') ?? 0) + 1);
        }
      }
    };
    const chaos = withAdmin(url, async (admin) => {
      const until = Date.now() + 6_000;
      while (Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(random() * 120)));
        const { rows } = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        );
        if (rows.length === 0) continue;
        const victim = rows[Math.floor(random() * rows.length)]!.pid;
        await admin.query('SELECT pg_terminate_backend($1)', [victim]);
        terminations += 1;
      }
      stop = true;
    });
    await Promise.all([chaos, worker(), worker(), worker(), worker()]);

    console.info(
      `[connection-drop] seed ${seed}: ${terminations} backends terminated; journeys: ${JSON.stringify(Object.fromEntries(outcomes))}`,
    );
    expect(errors, 'every failure is a connection error').toEqual([]);
    expect(terminations).toBeGreaterThan(5);
    expect(outcomes.get('dropped') ?? 0, 'some journeys were cut').toBeGreaterThan(0);
    await expectConsistent(fx.db);
    expect(await journey(client, nextUsPhone())).toBe('success');
  });
});

describe('process killed in the middle of a transaction on pglite', () => {
  let target: TestDatabase | undefined;
  afterEach(async () => {
    await target?.drop();
    target = undefined;
  });

  it('the reopened database holds nothing of the transaction, and the journey works', async () => {
    target = await createTestDatabase('pglite', { withSchema: true });
    // A child process opens the database, runs several routines in one transaction, says so, and waits to be killed.
    const script = `
      import { randomUUID } from 'node:crypto';
      import { openPglite } from ${JSON.stringify(`${distDir}db/pglite.js`)};
      const db = await openPglite({ dataDir: ${JSON.stringify(target.config.dataDir)}, lockTimeoutMs: 30000 });
      await db.transaction(async (tx) => {
        const device = (await tx.query('SELECT * FROM ecliptix.register_app_device_if_not_exists($1, $2, 1)', [randomUUID(), randomUUID()])).rows[0];
        const phone = (await tx.query('SELECT * FROM ecliptix.ensure_phone_number($1, NULL, $2)', ['+14155559001', device.app_device_id])).rows[0];
        const flow = (await tx.query("SELECT * FROM ecliptix.initiate_verification_flow($1, $2, 'registration', 1)", [device.app_device_id, phone.phone_unique_id])).rows[0];
        await tx.query("SELECT * FROM ecliptix.insert_otp_record($1, 'h', 's', now() + interval '5 minutes', 'pending')", [flow.flow_unique_id]);
        await tx.query("INSERT INTO ecliptix.event_log (event_type, message) VALUES ('test', repeat('x', 100000))");
        await tx.query('CHECKPOINT');
        process.stdout.write('inside\\n');
        await new Promise(() => setInterval(() => undefined, 1000));
      });
    `;
    const before = await (async () => {
      const db = await target!.open();
      try {
        return await snapshotAllTables(db);
      } finally {
        await db.close();
      }
    })();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const inside = new Promise<boolean>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('inside') && resolve(true));
      child.on('close', () => resolve(false));
    });
    expect(await inside, stderr).toBe(true);
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGKILL');
    await closed;

    // The lock file names the dead pid: reopening takes it over, and PGlite recovers.
    const db = await target.open();
    try {
      expect(await snapshotAllTables(db)).toEqual(before);
      const secrets = { otpKeys: generateKeyring('otp'), dataKeys: generateKeyring('data') };
      expect(await journey(createMembershipsClient({ db, secrets }), '+14155559001')).toBe('success');
      await expectConsistent(db);
    } finally {
      await db.close();
    }
  });
});
