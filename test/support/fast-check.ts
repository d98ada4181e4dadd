/** One fast-check configuration for every property test: a fixed seed in `npm test`, another on request. */
import type fc from 'fast-check';

/** numRuns for a property: HOSTILE_RUNS overrides the default. */
function runs(fallback: number): number {
  const fromEnv = Number(process.env.HOSTILE_RUNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

/**
 * The seed of every property when FAST_CHECK_SEED is not set: `npm test` draws
 * the same values on every run, so a run is reproducible and a rare draw
 * cannot fail an unrelated change.
 */
const DEFAULT_FAST_CHECK_SEED = 20_261_201;

/**
 * The fast-check seed: FAST_CHECK_SEED=<integer> runs another one (a failing
 * run's seed and path are in fast-check's failure message, "{ seed: …, path:
 * … }"), FAST_CHECK_SEED=random a new one on every run; HOSTILE_SEED is the
 * old name. Undefined means fast-check's own random seed.
 */
function fastCheckSeed(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = (env.FAST_CHECK_SEED ?? env.HOSTILE_SEED)?.trim();
  if (text === undefined || text === '') return DEFAULT_FAST_CHECK_SEED;
  if (text === 'random') return undefined;
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new Error(`FAST_CHECK_SEED must be an integer or "random", not ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** fast-check parameters: the seed of fastCheckSeed(), HOSTILE_RUNS runs; fast-check prints the seed and path of a failure. */
export function fcParams(numRuns: number): fc.Parameters<unknown> {
  const seed = fastCheckSeed();
  return { numRuns: runs(numRuns), ...(seed === undefined ? {} : { seed }), endOnFailure: true };
}
