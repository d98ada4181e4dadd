/**
 * kill -9 of `migrate` at random points: the next `migrate` completes (exit 0)
 * and `verify` passes all 5 success criteria.
 *
 * On the server the run lock is an advisory lock that dies with the killed
 * process's connection, and each migration's transaction (with its journal
 * row) is rolled back by the server. On PGlite the data directory's lock file
 * still names the killed pid, which the next run must recognise as stale, and
 * PGlite must recover its files after an unclean stop.
 *
 * The kill points are drawn from a seeded PRNG (the seed is printed;
 * FAULT_SEED=<seed> replays them) and spread over a measured, uninterrupted
 * run of the same command: odd-numbered trials at a uniformly random time
 * in the start-up (opening the engine, taking the locks: the first 70% of the
 * time to the first "applied" line, so a faster trial run is still killed
 * there), even-numbered trials after a random number of "applied" progress
 * lines plus a random fraction of the typical gap between two — inside the
 * migrations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/db/database.js';
import { runCli, spawnCli } from '../support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { faultSeed, seededRandom } from './support.js';

/**
 * 10 trials on the server, as the issue asks; 4 on PGlite, where every trial
 * starts the embedded database three times (~25 s), to keep CI short.
 */
const trialsOn = (engine: string): number => (engine === 'postgres' ? 10 : 4);
const RUN_TIMEOUT_MS = 180_000;

interface Profile {
  /** Spawn to exit of an uninterrupted run, ms. */
  totalMs: number;
  /** Arrival times of the "applied" lines, ms since spawn. */
  appliedAt: number[];
}

interface TrialRecord {
  plan: string;
  killed: boolean;
  /** "applied" lines seen before the kill. */
  appliedBeforeKill: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

describe.each(engines)('kill -9 of migrate on %s', (engine: Engine) => {
  const seed = faultSeed(engine === 'pglite' ? 61_001 : 61_002);
  let profile: Profile;
  const records: TrialRecord[] = [];

  beforeAll(async () => {
    const target = await createTestDatabase(engine);
    try {
      const run = spawnCli([...target.cliArgs, 'migrate'], { cwd: target.workDir });
      const ended = await run.exited;
      expect(ended.code, run.stderr()).toBe(0);
      const appliedAt = run.lines.filter((l) => l.text.startsWith('applied')).map((l) => l.at);
      expect(appliedAt.length).toBeGreaterThan(10);
      profile = { totalMs: ended.at, appliedAt };
      console.info(
        `[kill-migrate ${engine}] seed ${seed}; an uninterrupted migrate takes ${Math.round(ended.at)} ms, ` +
          `${appliedAt.length} migrations between ${Math.round(appliedAt[0]!)} and ${Math.round(appliedAt.at(-1)!)} ms`,
      );
    } finally {
      await target.drop();
    }
  });

  afterAll(() => {
    if (records.length) console.info(`[kill-migrate ${engine}] ${records.map((r) => r.plan).join('; ')}`);
  });

  const TRIALS = trialsOn(engine);
  for (let trial = 1; trial <= TRIALS; trial += 1) {
    it(
      `trial ${trial}: killed at a random point, the next migrate completes and verify passes`,
      async () => {
        // Each trial draws from its own stream, so that one trial run alone (-t) is killed at the same point.
        const random = seededRandom(seed * 100 + trial);
        const target: TestDatabase = await createTestDatabase(engine);
        try {
          const run = spawnCli([...target.cliArgs, 'migrate'], { cwd: target.workDir });
          let plan: string;
          if (trial % 2 === 1) {
            const delay = Math.floor(random() * 0.7 * profile.appliedAt[0]!);
            plan = `${delay} ms after spawn`;
            await new Promise((resolve) => setTimeout(resolve, delay));
          } else {
            const gaps = profile.appliedAt.slice(1).map((t, i) => t - profile.appliedAt[i]!);
            const after = 1 + Math.floor(random() * (profile.appliedAt.length - 1));
            const extra = Math.floor(random() * median(gaps));
            plan = `${extra} ms after "applied" line ${after}`;
            await run.lineCount(after);
            await new Promise((resolve) => setTimeout(resolve, extra));
          }
          const appliedBeforeKill = run.lines.filter((l) => l.text.startsWith('applied')).length;
          run.child.kill('SIGKILL');
          const ended = await run.exited;
          const killed = ended.signal === 'SIGKILL';
          records.push({
            plan: `${plan} → ${killed ? `killed after ${appliedBeforeKill} applied` : `finished first (exit ${ended.code})`}`,
            killed,
            appliedBeforeKill,
          });
          if (!killed) expect(ended.code, run.stderr()).toBe(0);

          const again = await runCli([...target.cliArgs, 'migrate'], { cwd: target.workDir, timeoutMs: RUN_TIMEOUT_MS });
          expect(again.code, `migrate after the kill (${plan}): ${again.stderr}`).toBe(0);
          expect(again.stdout).toMatch(/done:|up to date|nothing to (apply|do)/i);

          const verified = await runCli([...target.cliArgs, 'verify', '--json'], { cwd: target.workDir, timeoutMs: RUN_TIMEOUT_MS });
          expect(verified.code, `verify after the kill (${plan}): ${verified.stderr}\n${verified.stdout.slice(0, 2000)}`).toBe(0);
          const report = JSON.parse(verified.stdout) as {
            passed: boolean;
            criteria: { number: number; passed: boolean; details: string[] }[];
          };
          expect(report.criteria.map((c) => [c.number, c.passed, c.passed ? [] : c.details])).toEqual(
            [1, 2, 3, 4, 5].map((n) => [n, true, []]),
          );
          expect(report.passed).toBe(true);
        } finally {
          await target.drop();
        }
      },
      RUN_TIMEOUT_MS * 3,
    );
  }

  it('the kills landed both before and inside the migrations', () => {
    expect(records).toHaveLength(TRIALS);
    const plans = records.map((r) => r.plan).join('\n');
    // Timing on a shared machine varies; a trial whose run outpaced its kill still checked the re-run, but most must be kills.
    expect(records.filter((r) => r.killed).length, plans).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 2));
    expect(
      records.some((r) => r.killed && r.appliedBeforeKill === 0),
      plans,
    ).toBe(true);
    expect(
      records.some((r) => r.killed && r.appliedBeforeKill > 0 && r.appliedBeforeKill < profile.appliedAt.length),
      plans,
    ).toBe(true);
  });
});
