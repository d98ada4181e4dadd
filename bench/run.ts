/**
 * `npm run bench`: how fast the persistor is, next to its reference points,
 * and how its cost grows. Reports numbers; a missed target never makes it
 * fail (the exit code is non-zero only when a benchmark could not run).
 *
 *   npm run bench                                   # everything (~10 min on 2 cores)
 *   npm run bench -- --quick                        # smaller sizes: a smoke run (bench/results/quick.json)
 *   npm run bench -- --only deploy,memory           # some sections; the others keep their last results
 *   npm run bench -- --only cluster                 # PL/Proxy's cost and capacity (bench/cluster.ts, ~3 min)
 *   npm run bench -- --database-url postgres://postgres@127.0.0.1:5432/postgres
 *   npm run bench -- --wait-quiet 300               # wait up to 300 s per section for load < 1
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { benchCleanup } from './cleanup.js';
import { benchCluster } from './cluster.js';
import { benchDeploy } from './deploy.js';
import { benchGrowth } from './growth.js';
import { benchMemory } from './memory.js';
import { describeMachine, judge, markdown, previousResults, writeResults, type Results, type SectionRecord } from './report.js';
import { benchRuntime } from './runtime.js';
import { SECTIONS, cliPath, dropAllCreated, load1, round, waitForQuiet, type BenchOptions, type Section } from './support.js';

/** Sections that wait for a quiet machine unless --wait-quiet says otherwise: their ratios mean little under load. */
const QUIET_SECTIONS: readonly Section[] = ['runtime', 'cluster'];
const QUIET_WAIT_DEFAULT_S = 300;

const HELP = `usage: npm run bench -- [--quick] [--only ${SECTIONS.join(',')}] [--database-url <admin url>] [--wait-quiet <seconds>]

  --quick              smaller sizes and shorter runs (a smoke run); results go to bench/results/quick.json only
  --only <sections>    comma-separated: ${SECTIONS.join(', ')} (default: all); a full run keeps the other sections' last results
  --database-url <u>   admin URL of the server; each benchmark creates and drops its own databases
                       (default: $BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
  --wait-quiet <s>     before each section, wait up to <s> seconds for the 1-minute load average to drop under 1
                       (default: ${QUIET_WAIT_DEFAULT_S} s before the ${QUIET_SECTIONS.join(' and ')} sections, whose figures are compared
                       with pgbench and with one database; 0 before the others; --wait-quiet 0 never waits)`;

function options(): BenchOptions {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'database-url': { type: 'string' },
      'wait-quiet': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const only = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [...SECTIONS];
  for (const s of only)
    if (!(SECTIONS as readonly string[]).includes(s))
      throw new Error(`--only: unknown section "${s}" (choose from ${SECTIONS.join(', ')})`);
  const wait = values['wait-quiet'] === undefined ? undefined : Number(values['wait-quiet']);
  if (wait !== undefined && (!Number.isFinite(wait) || wait < 0)) throw new Error('--wait-quiet must be a number of seconds');
  return {
    adminUrl: values['database-url'] ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    quick: values.quick,
    only: only as Section[],
    waitQuietSeconds: wait,
    log: (line) => process.stdout.write(`${line}\n`),
  };
}

const runners: Record<Section, (o: BenchOptions) => Promise<unknown>> = {
  deploy: benchDeploy,
  memory: benchMemory,
  runtime: benchRuntime,
  growth: benchGrowth,
  cleanup: benchCleanup,
  cluster: benchCluster,
};
/** Light sections first. */
const ORDER: readonly Section[] = ['deploy', 'memory', 'runtime', 'cluster', 'growth', 'cleanup'];

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = options();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${HELP}\n`);
    return 2;
  }
  if (!existsSync(cliPath)) {
    process.stderr.write(`${cliPath} is missing: build first (npm run build; npm run bench does)\n`);
    return 2;
  }
  const stop = () => {
    process.stderr.write('\ninterrupted: dropping the benchmark databases…\n');
    void dropAllCreated(opts.adminUrl).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const machine = await describeMachine(opts.adminUrl);
  opts.log(`ecliptix-persistor benchmarks${opts.quick ? ' (quick)' : ''}: ${opts.only.join(', ')}`);
  opts.log(
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB; PostgreSQL ${machine.postgres}; Node ${machine.node}; load ${load1()}`,
  );
  const previous = opts.quick ? undefined : previousResults();
  const sections: Results['sections'] = previous?.quick === false ? { ...previous.sections } : {};
  let failed = false;
  for (const section of ORDER.filter((s) => opts.only.includes(s))) {
    opts.log(`\n== ${section}`);
    const wait = opts.waitQuietSeconds ?? (QUIET_SECTIONS.includes(section) ? QUIET_WAIT_DEFAULT_S : 0);
    const loadAtStart = await waitForQuiet({ ...opts, waitQuietSeconds: wait }, section);
    const started = performance.now();
    const record: SectionRecord<unknown> = { measuredAt: new Date().toISOString(), loadAtStart, loadAtEnd: 0, durationS: 0 };
    try {
      record.result = await runners[section](opts);
    } catch (error) {
      failed = true;
      record.error = (error as Error).message;
      opts.log(`  FAILED: ${record.error}`);
      await dropAllCreated(opts.adminUrl);
    }
    record.loadAtEnd = load1();
    record.durationS = round((performance.now() - started) / 1000, 1);
    (sections as Record<string, SectionRecord<unknown>>)[section] = record;
  }
  // The top-level machine describes the sections of the main results block: a run of the cluster section alone
  // (which records its own machine and commit) keeps the one those sections were measured on.
  const onlyCluster = opts.only.every((s) => s === 'cluster');
  const results: Results = {
    generatedAt: new Date().toISOString(),
    quick: opts.quick,
    machine: onlyCluster && previous?.quick === false ? previous.machine : machine,
    sections,
    targets: judge(sections),
  };
  if (opts.only.includes('cluster') && sections.cluster?.result) sections.cluster.result.machine = machine;
  const written = writeResults(results, opts.only);
  opts.log(`\n${markdown(results)}\n`);
  opts.log(`results: ${written.json}${written.markdown ? ` and ${written.markdown}` : ''}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
