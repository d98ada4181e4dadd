/**
 * The database restarted under load: a throw-away PostgreSQL server (never the
 * shared one) is restarted with `pg_ctl restart -m fast` while a memberships
 * client keeps calling. Calls during the restart may fail, each with a clear
 * connection error — never a crash of the process through an unhandled
 * 'error' event — and calls after it succeed: the pool drops its dead
 * connections and opens new ones, and stays within its size.
 *
 * Alongside the client, one worker uses the Database's transactions (a
 * checked-out connection held across several queries), the case where a lost
 * connection used to surface as an unhandled 'error' event.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyring } from '../../src/client/keyring.js';
import { openMembershipsClient, type OpenedMembershipsClient } from '../../src/client/open.js';
import { openPostgres } from '../../src/db/postgres.js';
import { Migrator } from '../../src/migrator/migrator.js';
import { shippedMigrationsDir } from '../../src/sql-files.js';
import { createPostgresDatabase } from '../support/postgres-admin.js';
import { startThrowawayServer, type ThrowawayServer } from '../support/postgres-server.js';
import { nextUsPhone, phoneIdOf } from '../client/client-harness.js';
import { isConnectionFault } from './support.js';

const POOL_SIZE = 5;
const WORKERS = 6;

interface CallRecord {
  worker: string;
  startedAt: number;
  endedAt: number;
  error?: unknown;
}

describe('database restarted under load (throw-away server)', () => {
  let server: ThrowawayServer;
  let url: string;
  let client: OpenedMembershipsClient;
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown) => unhandled.push(error);

  beforeAll(async () => {
    server = await startThrowawayServer();
    url = await createPostgresDatabase(server.adminUrl, 'memberships');
    const db = await openPostgres({ databaseUrl: url, connectTimeoutMs: 10_000 });
    try {
      await new Migrator({ db, migrationsDir: shippedMigrationsDir, lockTimeoutMs: 10_000 }).migrate();
    } finally {
      await db.close();
    }
    client = await openMembershipsClient({
      databaseUrl: url,
      connectTimeoutMs: 2_000,
      maxConnections: POOL_SIZE,
      secrets: { otpKeys: generateKeyring('otp'), dataKeys: generateKeyring('data') },
    });
    process.on('uncaughtException', onUnhandled);
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('uncaughtException', onUnhandled);
    process.off('unhandledRejection', onUnhandled);
    await client?.close().catch(() => undefined);
    await server?.stop();
  });

  it('calls during pg_ctl restart -m fast fail with a clear error, calls after it succeed, the pool recovers', async () => {
    const records: CallRecord[] = [];
    let stop = false;

    const timed = async (worker: string, work: () => Promise<unknown>) => {
      const startedAt = performance.now();
      try {
        await work();
        records.push({ worker, startedAt, endedAt: performance.now() });
      } catch (error) {
        records.push({ worker, startedAt, endedAt: performance.now(), error });
        // Do not spin while the server is down.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const clientWorker = async (name: string) => {
      while (!stop) {
        await timed(name, async () => {
          const device = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() });
          const phone = await client.ensurePhoneNumber({ phoneNumber: nextUsPhone(), appDeviceId: device.deviceId });
          const flow = await client.initiateVerificationFlow({ appDeviceId: device.deviceId, phoneId: phoneIdOf(phone), purpose: 'login' });
          if (flow.outcome === 'created' || flow.outcome === 'retrieved') await client.getFlowState(flow.flow.flowId);
        });
      }
    };
    const transactionWorker = async (name: string) => {
      while (!stop) {
        await timed(name, () =>
          client.database.transaction(async (tx) => {
            await tx.query('SELECT * FROM ecliptix.register_app_device_if_not_exists($1, $2, 1)', [randomUUID(), randomUUID()]);
            await new Promise((resolve) => setTimeout(resolve, 5));
            await tx.query('SELECT count(*) FROM ecliptix.app_devices');
          }),
        );
      }
    };

    const workers = [...Array.from({ length: WORKERS - 1 }, (_, i) => clientWorker(`client-${i}`)), transactionWorker('transaction')];
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const restartStarted = performance.now();
    await server.restart('fast');
    const restartEnded = performance.now();
    // Keep the load on after the restart.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    stop = true;
    await Promise.all(workers);

    const before = records.filter((r) => r.endedAt < restartStarted);
    const during = records.filter((r) => r.endedAt >= restartStarted && r.startedAt < restartEnded);
    // Grace for a pooled connection whose termination the client has not yet read.
    const after = records.filter((r) => r.startedAt >= restartEnded + 250);
    const summary = `restart took ${Math.round(restartEnded - restartStarted)} ms; calls before ${before.length}, during ${during.length} (${during.filter((r) => r.error).length} failed), after ${after.length}`;
    const kinds = new Set(
      records.filter((r) => r.error).map((r) => `${(r.error as { code?: string }).code ?? ''} ${(r.error as Error).message}`.trim()),
    );
    console.info(`[restart] ${summary}; errors seen: ${[...kinds].join(' | ')}`);

    expect(unhandled, 'no unhandled error or rejection').toEqual([]);
    expect(before.length, summary).toBeGreaterThan(0);
    expect(
      before.filter((r) => r.error).map((r) => String(r.error)),
      'calls before the restart',
    ).toEqual([]);
    const unclear = records
      .filter((r) => r.error && !isConnectionFault(r.error))
      .map((r) => `${r.worker}: ${(r.error as Error)?.name}: ${(r.error as Error)?.message}`);
    expect(unclear, 'every failure is a clear connection error').toEqual([]);
    expect(after.length, summary).toBeGreaterThan(WORKERS);
    expect(
      after.filter((r) => r.error).map((r) => `${r.worker}: ${(r.error as Error)?.message}`),
      'calls after the restart',
    ).toEqual([]);
    expect(new Set(after.map((r) => r.worker)).size, 'every worker, the transaction one included, succeeds again').toBe(WORKERS);

    // The pool recovers fully: a burst wider than the pool succeeds, within the pool's size.
    const burst = await Promise.all(
      Array.from({ length: POOL_SIZE * 4 }, () => client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() })),
    );
    expect(burst.every((r) => r.outcome === 'created')).toBe(true);
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'memberships' AND application_name = 'ecliptix-persistor'`,
      );
      expect(rows[0]!.n).toBeGreaterThan(0);
      expect(rows[0]!.n).toBeLessThanOrEqual(POOL_SIZE);
    } finally {
      await admin.end();
    }
  });
});
