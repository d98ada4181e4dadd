/**
 * Clean-up: a million rows past retention (a sixth per retention rule), the
 * `cleanup` CLI run over them as a cron job would run it, and the latency of
 * sign-ups made meanwhile by concurrent clients, against the same sign-ups
 * with no clean-up running. The data is loaded once into a template and
 * copied, so that the clean-up also runs once alone, as the reference for
 * its rate.
 */
import { performance } from 'node:perf_hooks';
import { migrate, type CleanupReport } from '../src/index.js';
import { expiredRowsSql, loadBulk } from './bulk.js';
import { BENCH_SETTINGS_SQL, SIGN_UP, openServerClient, runJourney, warmUp } from './journey.js';
import {
  createDatabase,
  drive,
  execOn,
  phoneFor,
  round,
  runCli,
  summarize,
  withoutOutputs,
  type BenchOptions,
  type DriveSummary,
  type LatencySummary,
} from './support.js';

export interface CleanupRun {
  rowsAffected: number;
  batchSize: number;
  /** The clean-up's own duration (its report). */
  durationMs: number;
  rowsPerSec: number;
  /** The CLI process, spawn to exit. */
  processWallMs: number;
  rules: Array<{ table: string; affected: number; remaining: number; durationMs: number; batches: number }>;
}

export interface CleanupBenchResult {
  expiredRows: number;
  loadSeconds: number;
  signUpClients: number;
  alone: CleanupRun;
  concurrent: CleanupRun;
  signUps: {
    idle: DriveSummary;
    duringCleanup: DriveSummary;
    /** p99 during the clean-up / p99 idle, for a whole sign-up. */
    p99Ratio: number;
    /** The same for single client calls (every step of every sign-up). */
    idleCalls: LatencySummary;
    duringCleanupCalls: LatencySummary;
    callP99Ratio: number;
  };
}

/** The `cleanup --json` CLI, started now; `finished()` turns true when its process has exited. */
function startCleanup(url: string): { done: Promise<CleanupRun>; finished: () => boolean } {
  let finished = false;
  const run = runCli(['cleanup', '--json', '-s', url], { timeoutMs: 600_000 }).finally(() => (finished = true));
  const done = run.then(({ stdout, wallMs }): CleanupRun => {
    const report = JSON.parse(stdout) as CleanupReport;
    return {
      rowsAffected: report.totalAffected,
      batchSize: report.batchSize,
      durationMs: report.durationMs,
      rowsPerSec: round(report.totalAffected / (report.durationMs / 1000), 0),
      processWallMs: wallMs,
      rules: report.rules.map((r) => ({
        table: r.table,
        affected: r.affected,
        remaining: r.remaining,
        durationMs: r.durationMs,
        batches: r.batches,
      })),
    };
  });
  done.catch(() => undefined); // awaited only after the sign-ups: not an unhandled rejection meanwhile
  return { done, finished: () => finished };
}

export async function benchCleanup(options: BenchOptions): Promise<CleanupBenchResult> {
  const expiredRows = options.quick ? 100_000 : 1_000_000;
  const clients = 4;
  const idleMs = options.quick ? 4000 : 15_000;
  const template = await createDatabase(options.adminUrl, 'cleanup_tpl');
  try {
    await migrate({ databaseUrl: template.url });
    await execOn(template.url, BENCH_SETTINGS_SQL);
    const t0 = performance.now();
    await loadBulk(template.url, expiredRowsSql(expiredRows));
    const loadSeconds = round((performance.now() - t0) / 1000, 1);
    options.log(`  ${expiredRows} expired rows loaded in ${loadSeconds} s`);

    // 1. The clean-up alone.
    const aloneDb = await createDatabase(options.adminUrl, 'cleanup_alone', template.name);
    let alone: CleanupRun;
    try {
      alone = await startCleanup(aloneDb.url).done;
    } finally {
      await aloneDb.drop();
    }
    options.log(`  alone: ${alone.rowsAffected} rows in ${alone.durationMs} ms = ${alone.rowsPerSec} rows/s`);

    // 2. Sign-ups idle, then sign-ups during the clean-up, on one copy.
    const db = await createDatabase(options.adminUrl, 'cleanup', template.name);
    try {
      const client = await openServerClient(db.url, clients);
      try {
        await warmUp(client, clients, 72);
        const idleCalls: number[] = [];
        const idle = await drive(clients, { count: 1_000_000, timeMs: idleMs }, (i) =>
          runJourney(client, phoneFor(70, i), SIGN_UP, (_, ms) => idleCalls.push(ms)),
        );
        const busyCalls: number[] = [];
        const cleanup = startCleanup(db.url);
        const busy = await drive(clients, { count: 1_000_000, timeMs: 600_000, until: cleanup.finished }, (i) =>
          runJourney(client, phoneFor(71, i), SIGN_UP, (_, ms) => busyCalls.push(ms)),
        );
        const concurrent = await cleanup.done;
        options.log(
          `  with ${clients} clients signing up: ${concurrent.rowsAffected} rows in ${concurrent.durationMs} ms = ${concurrent.rowsPerSec} rows/s`,
        );
        options.log(`  sign-up p99: idle ${idle.p99Ms} ms, during clean-up ${busy.p99Ms} ms`);
        const idleCallSummary = summarize(idleCalls);
        const busyCallSummary = summarize(busyCalls);
        return {
          expiredRows,
          loadSeconds,
          signUpClients: clients,
          alone,
          concurrent,
          signUps: {
            idle: withoutOutputs(idle),
            duringCleanup: withoutOutputs(busy),
            p99Ratio: round(busy.p99Ms / idle.p99Ms, 2),
            idleCalls: idleCallSummary,
            duringCleanupCalls: busyCallSummary,
            callP99Ratio: round(busyCallSummary.p99Ms / idleCallSummary.p99Ms, 2),
          },
        };
      } finally {
        await client.close();
      }
    } finally {
      await db.drop();
    }
  } finally {
    await template.drop();
  }
}
