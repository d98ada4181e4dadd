/**
 * Runtime: the end-to-end journey, a sign-up the routine-level way and as
 * the user's actions (issue 14), and each routine alone, with 1, 4 and 16
 * concurrent clients on the server, next to pgbench (tpcb-like and
 * select-only) on the same server at the same concurrency; then the same
 * journey on PGlite.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, openMembershipsClient } from '../src/index.js';
import {
  BENCH_SETTINGS_SQL,
  JOURNEY,
  JOURNEY_ROUND_TRIPS,
  OTP_LIFETIME_SECONDS,
  SIGN_UP_ACTIONS,
  SIGN_UP_ROUTINE_LEVEL,
  roundTripsOf,
  benchSecrets,
  openServerClient,
  routinesAlone,
  runJourney,
  warmUp,
} from './journey.js';
import { measureJourneyCosts, type JourneyCost } from './journey-cost.js';
import { pgbench, pgbenchInit, type PgbenchResult } from './pgbench.js';
import {
  checkpoint,
  createDatabase,
  drive,
  execOn,
  load1,
  phoneFor,
  pooledDrives,
  round,
  tempDir,
  withoutOutputs,
  type BenchOptions,
  type DriveResult,
  type DriveSummary,
} from './support.js';

type Drive = DriveSummary;

export interface RuntimeLevel {
  clients: number;
  journey: Drive;
  routines: Record<string, Drive>;
  pgbench: { tpcbLike: PgbenchResult; selectOnly: PgbenchResult };
  /** Journeys per second / pgbench tpcb-like transactions per second. */
  journeyToTpcb: number;
  /** Database round trips per second made by the journey / pgbench tpcb-like transactions per second. */
  journeyRoundTripsToTpcb: number;
  /** The commit ceiling: pgbench tpcb-like tps / durable commits per journey (journeys/s if commits were all a journey cost). */
  commitCeiling?: number;
  /** Journeys per second / the commit ceiling. */
  journeyToCeiling?: number;
  /** A new user's sign-up (device to the first key release), the routine-level way and as the user's actions, one after the other. */
  signUp?: {
    routineLevel: Drive;
    actions: Drive;
    /** Actions sign-ups/s / routine-level sign-ups/s. */
    actionsToRoutineLevel: number;
    /** tpcb-like tps / durable commits per actions sign-up. */
    actionsCeiling: number;
    /** Actions sign-ups/s / their commit ceiling. */
    actionsToCeiling: number;
  };
  /** CPU time of the benchmark's node process (the clients) during the journey, as a fraction of one core. */
  journeyClientCpu: number;
  load1: number;
}

export interface RuntimeResult {
  config: {
    journeyTimeS: number;
    routineCount: Record<number, number>;
    routineTimeS: number;
    pgbenchScale: number;
    pgbenchDurationS: number;
    journeyRoundTrips: number;
  };
  /** Durable commits and WAL bytes per journey (one client, one journey after another). */
  journeyCost?: JourneyCost;
  /**
   * The same per sign-up: the routine-level way on the schema before issue 14
   * (the revision `baseline`), and today the routine-level way and as the user's actions.
   */
  signUpCost?: {
    baseline: string;
    before: JourneyCost;
    routineLevel: JourneyCost;
    actions: JourneyCost;
    roundTrips: { routineLevel: number; actions: number };
  };
  server: RuntimeLevel[];
  pglite: { journey: Drive; routines: Record<string, Drive> };
}

export const CONCURRENCY = [1, 4, 16] as const;

/** Rounds in which the two ways of signing up alternate, at each concurrency. */
const SIGN_UP_ROUNDS = 4;

/** The last revision before issue 14 changed the schema: the "before" of the sign-up's cost. */
const ISSUE_14_BASELINE = '96c0015';

export async function benchRuntime(options: BenchOptions): Promise<RuntimeResult> {
  const quick = options.quick;
  const journeyTimeMs = quick ? 3000 : 10_000;
  const routineCount: Record<number, number> = quick ? { 1: 60, 4: 120, 16: 240 } : { 1: 400, 4: 800, 16: 1600 };
  const routineTimeMs = quick ? 2000 : 6000;
  const pgbenchScale = quick ? 4 : 16; // >= the clients, so tpcb-like does not queue on one branch row
  const pgbenchDurationS = quick ? 3 : 10;

  const db = await createDatabase(options.adminUrl, 'runtime');
  const reference = await createDatabase(options.adminUrl, 'pgbench');
  const server: RuntimeLevel[] = [];
  options.log('  cost per journey and per sign-up: a throw-away instance');
  const costs = await measureJourneyCosts(quick ? 50 : 200, {
    journey: { steps: JOURNEY },
    before: { steps: SIGN_UP_ROUTINE_LEVEL, schemaAt: ISSUE_14_BASELINE },
    routineLevel: { steps: SIGN_UP_ROUTINE_LEVEL },
    actions: { steps: SIGN_UP_ACTIONS },
  });
  const journeyCost = costs.journey;
  const signUpCost = {
    baseline: ISSUE_14_BASELINE,
    before: costs.before,
    routineLevel: costs.routineLevel,
    actions: costs.actions,
    roundTrips: { routineLevel: roundTripsOf(SIGN_UP_ROUTINE_LEVEL), actions: roundTripsOf(SIGN_UP_ACTIONS) },
  };
  for (const [name, cost] of Object.entries(costs))
    options.log(
      `  cost, ${name}: ${cost.durableCommitsPerJourney} durable commits and ${cost.walBytesPerJourney} WAL bytes each (${cost.measuredOn})`,
    );
  try {
    await migrate({ databaseUrl: db.url });
    await execOn(db.url, BENCH_SETTINGS_SQL);
    options.log(`  pgbench -i -s ${pgbenchScale}`);
    await pgbenchInit(reference.url, pgbenchScale);
    for (const clients of CONCURRENCY) {
      await checkpoint(options.adminUrl);
      const client = await openServerClient(db.url, clients);
      let journey: Drive;
      let routines: Record<string, Drive>;
      let clientCpu = 0;
      let signUp: RuntimeLevel['signUp'];
      try {
        await warmUp(client, clients, 90 + CONCURRENCY.indexOf(clients));
        const startLoad = load1();
        const cpuBefore = process.cpuUsage();
        const run = await drive(clients, { count: 100_000, timeMs: journeyTimeMs }, (i) => runJourney(client, phoneFor(clients, i)));
        const cpu = process.cpuUsage(cpuBefore);
        clientCpu = round((cpu.user + cpu.system) / 1000 / run.wallMs, 2);
        journey = withoutOutputs(run);
        options.log(
          `  ${clients} client(s): journey ${journey.opsPerSec}/s p50 ${journey.p50Ms} ms p99 ${journey.p99Ms} ms, client process ${Math.round(clientCpu * 100)} % of a core (load ${startLoad})`,
        );
        // The two ways alternate in rounds, so that a change in the machine's load falls on both.
        const index = CONCURRENCY.indexOf(clients);
        const ways = [
          { steps: SIGN_UP_ROUTINE_LEVEL, block: 50 + index, runs: [] as DriveResult<unknown>[] },
          { steps: SIGN_UP_ACTIONS, block: 70 + index, runs: [] as DriveResult<unknown>[] },
        ];
        for (const way of ways)
          await drive(clients, { count: clients * 3, timeMs: 10_000 }, (i) => runJourney(client, phoneFor(way.block + 10, i), way.steps));
        for (let round = 0; round < SIGN_UP_ROUNDS; round++)
          for (const way of ways)
            way.runs.push(
              await drive(clients, { count: 100_000, timeMs: journeyTimeMs / SIGN_UP_ROUNDS }, (i) =>
                runJourney(client, phoneFor(way.block, round * 200_000 + i), way.steps),
              ),
            );
        const signUps = ways.map((way) => pooledDrives(way.runs));
        const [routineLevel, actions] = signUps as [Drive, Drive];
        signUp = {
          routineLevel,
          actions,
          actionsToRoutineLevel: round(actions.opsPerSec / routineLevel.opsPerSec, 2),
          actionsCeiling: 0,
          actionsToCeiling: 0,
        };
        options.log(
          `  ${clients} client(s): sign-up, routine-level ${routineLevel.opsPerSec}/s p50 ${routineLevel.p50Ms} ms, as actions ${actions.opsPerSec}/s p50 ${actions.p50Ms} ms (${signUp.actionsToRoutineLevel}x)`,
        );
        routines = (await routinesAlone(client, clients, { count: routineCount[clients]!, timeMs: routineTimeMs }, 20 + clients)).summaries;
        options.log(
          `  ${clients} client(s): routines ${Object.entries(routines)
            .map(([n, r]) => `${n} ${r.opsPerSec}/s`)
            .join(', ')}`,
        );
      } finally {
        await client.close();
      }
      await checkpoint(options.adminUrl);
      const tpcbLike = await pgbench(reference.url, 'tpcb-like', clients, pgbenchDurationS);
      const selectOnly = await pgbench(reference.url, 'select-only', clients, pgbenchDurationS);
      options.log(`  ${clients} client(s): pgbench tpcb-like ${tpcbLike.tps} tps, select-only ${selectOnly.tps} tps`);
      server.push({
        clients,
        journey,
        routines,
        pgbench: { tpcbLike, selectOnly },
        journeyToTpcb: round(journey.opsPerSec / tpcbLike.tps, 3),
        journeyRoundTripsToTpcb: round((journey.opsPerSec * JOURNEY_ROUND_TRIPS) / tpcbLike.tps, 3),
        ...(signUp
          ? {
              signUp: {
                ...signUp,
                actionsCeiling: round(tpcbLike.tps / signUpCost.actions.durableCommitsPerJourney, 1),
                actionsToCeiling: round(signUp.actions.opsPerSec / (tpcbLike.tps / signUpCost.actions.durableCommitsPerJourney), 3),
              },
            }
          : {}),
        commitCeiling: round(tpcbLike.tps / journeyCost.durableCommitsPerJourney, 1),
        journeyToCeiling: round(journey.opsPerSec / (tpcbLike.tps / journeyCost.durableCommitsPerJourney), 3),
        journeyClientCpu: clientCpu,
        load1: load1(),
      });
    }
  } finally {
    await db.drop();
    await reference.drop();
  }

  options.log('  PGlite: journey and routines, 1 client');
  const dir = tempDir('runtime-pglite');
  try {
    const dataDir = join(dir, 'db');
    await migrate({ dataDir });
    const client = await openMembershipsClient({ dataDir, secrets: benchSecrets(), otpLifetimeSeconds: OTP_LIFETIME_SECONDS });
    try {
      await client.database.exec(BENCH_SETTINGS_SQL);
      await warmUp(client, 1, 89);
      const journey = withoutOutputs(await drive(1, { count: 100_000, timeMs: journeyTimeMs }, (i) => runJourney(client, phoneFor(40, i))));
      const routines = (await routinesAlone(client, 1, { count: routineCount[1]!, timeMs: routineTimeMs }, 41)).summaries;
      options.log(`  PGlite: journey ${journey.opsPerSec}/s p50 ${journey.p50Ms} ms p99 ${journey.p99Ms} ms`);
      return {
        config: {
          journeyTimeS: journeyTimeMs / 1000,
          routineCount,
          routineTimeS: routineTimeMs / 1000,
          pgbenchScale,
          pgbenchDurationS,
          journeyRoundTrips: JOURNEY_ROUND_TRIPS,
        },
        journeyCost,
        signUpCost,
        server,
        pglite: { journey, routines },
      };
    } finally {
      await client.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
