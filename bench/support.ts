/**
 * What every benchmark shares: the options, throw-away databases on the
 * server, timing of child processes (wall time, peak RSS), percentiles, a
 * bounded concurrent driver, and phone numbers that libphonenumber-js accepts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cliPath } from '../test/support/cli.js';
import { databaseUrl, dropPostgresDatabase, uniqueDatabaseName } from '../test/support/postgres-admin.js';

export { cliPath };
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const pgBin = '/usr/lib/postgresql/15/bin';

export type Section = 'deploy' | 'runtime' | 'growth' | 'cleanup' | 'memory' | 'cluster';
export const SECTIONS: readonly Section[] = ['deploy', 'runtime', 'growth', 'cleanup', 'memory', 'cluster'];

export interface BenchOptions {
  adminUrl: string;
  quick: boolean;
  only: Section[];
  /** Before each section, wait up to this long for the 1-minute load average to drop under 1. */
  /** Wait up to this long for the load to drop under 1 before a section; undefined: each section's default (run.ts). */
  waitQuietSeconds?: number;
  log: (line: string) => void;
}

// ---------------------------------------------------------------- statistics

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  // Nearest rank: the smallest value with at least p % of the samples at or below it.
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export const round = (value: number, digits = 2): number => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);

export interface LatencySummary {
  n: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50Ms: round(percentile(sorted, 50), 3),
    p99Ms: round(percentile(sorted, 99), 3),
    meanMs: round(sorted.length ? sum / sorted.length : Number.NaN, 3),
    maxMs: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN, 3),
  };
}

// ------------------------------------------------------- the concurrent driver

export interface DriveResult<T> extends LatencySummary {
  clients: number;
  /** Completed operations per second, over the wall time of the whole phase. */
  opsPerSec: number;
  wallMs: number;
  /** Operations whose outcome was not the expected one (each still counted in the latencies). */
  unexpected: number;
  errors: number;
  firstProblem?: string;
  /** What each successful operation produced, in completion order (inputs of the next phase). */
  outputs: T[];
  /** Every latency, ms (for pooling several runs). */
  samplesMs: number[];
}

/**
 * Runs `work(i)` for i = 0, 1, … on `clients` concurrent workers until
 * `count` operations are done, `timeMs` has passed or `until()` says so (no
 * new operation starts after that). `work` returns what the next phase needs and whether the
 * outcome was the expected one.
 */
export async function drive<T>(
  clients: number,
  bounds: { count: number; timeMs: number; until?: () => boolean },
  work: (i: number) => Promise<{ ok: boolean; outcome: string; value?: T }>,
): Promise<DriveResult<T>> {
  const latencies: number[] = [];
  const outputs: T[] = [];
  let next = 0;
  let unexpected = 0;
  let errors = 0;
  let firstProblem: string | undefined;
  const started = performance.now();
  const deadline = started + bounds.timeMs;
  let lastDone = started;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= bounds.count || performance.now() > deadline || bounds.until?.()) return;
      const t0 = performance.now();
      try {
        const result = await work(i);
        const t1 = performance.now();
        latencies.push(t1 - t0);
        lastDone = t1;
        if (!result.ok) {
          unexpected++;
          firstProblem ??= `unexpected outcome ${result.outcome}`;
        } else if (result.value !== undefined) outputs.push(result.value);
      } catch (error) {
        errors++;
        firstProblem ??= `error: ${(error as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const wallMs = lastDone - started;
  return {
    clients,
    ...summarize(latencies),
    opsPerSec: round(latencies.length / (wallMs / 1000), 1),
    wallMs: round(wallMs, 1),
    unexpected,
    errors,
    ...(firstProblem ? { firstProblem } : {}),
    outputs,
    samplesMs: latencies,
  };
}

export type DriveSummary = Omit<DriveResult<unknown>, 'outputs' | 'samplesMs'>;

/** Several runs of one workload as one: latencies pooled, operations over the runs' summed wall time. */
export function pooledDrives(runs: readonly DriveResult<unknown>[]): DriveSummary {
  const samples = runs.flatMap((r) => r.samplesMs);
  const wallMs = runs.reduce((sum, r) => sum + r.wallMs, 0);
  const firstProblem = runs.find((r) => r.firstProblem)?.firstProblem;
  return {
    clients: runs[0]!.clients,
    ...summarize(samples),
    opsPerSec: round(samples.length / (wallMs / 1000), 1),
    wallMs: round(wallMs, 1),
    unexpected: runs.reduce((sum, r) => sum + r.unexpected, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    ...(firstProblem ? { firstProblem } : {}),
  };
}

/** Without the outputs and samples (for the JSON report). */
export function withoutOutputs<T>(result: DriveResult<T>): DriveSummary {
  const { outputs: _outputs, samplesMs: _samples, ...rest } = result;
  return rest;
}

// ------------------------------------------------------------- child processes

export interface ProcessRun {
  wallMs: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in MB (only when measured with /usr/bin/time). */
  maxRssMb?: number;
}

const TIME_BIN = '/usr/bin/time';
export const haveGnuTime = existsSync(TIME_BIN);

/**
 * Runs a command and measures its wall time from spawn to exit. With
 * `measureRss`, runs it under GNU time (`-f %M`, written to a file so the
 * command's own stderr stays clean) for the peak RSS; when GNU time is
 * missing, node commands are run with a preload that reports
 * process.resourceUsage().maxRSS at exit instead.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; measureRss?: boolean; timeoutMs?: number; input?: string } = {},
): Promise<ProcessRun> {
  let file = command;
  let argv = [...args];
  let rssFile: string | undefined;
  let rssDir: string | undefined;
  if (options.measureRss) {
    rssDir = mkdtempSync(join(tmpdir(), 'persistor-bench-rss-'));
    rssFile = join(rssDir, 'rss');
    if (haveGnuTime) {
      file = TIME_BIN;
      argv = ['-f', '%M', '-o', rssFile, command, ...args];
    } else if (command === process.execPath) {
      argv = ['--import', join(repoRoot, 'bench', 'helpers', 'report-rss.mjs'), ...args];
    }
  }
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NO_COLOR: '1',
    ...options.env,
    ...(rssFile && !haveGnuTime ? { BENCH_RSS_FILE: rssFile } : {}),
  };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      let maxRssMb: number | undefined;
      if (rssFile && existsSync(rssFile)) {
        const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        if (Number.isFinite(kb) && kb > 0) maxRssMb = round(kb / 1024, 1);
      }
      if (rssDir) rmSync(rssDir, { recursive: true, force: true });
      resolve({
        wallMs: round(wallMs, 1),
        code: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
        ...(maxRssMb === undefined ? {} : { maxRssMb }),
      });
    });
  });
}

/** Runs the built CLI (`node dist/cli/main.js …`); throws when it exits non-zero. */
export async function runCli(
  args: readonly string[],
  options: { measureRss?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ProcessRun> {
  const run = await runProcess(process.execPath, [cliPath, ...args], options);
  if (run.code !== 0)
    throw new Error(`ecliptix-persistor ${args.join(' ')} exited ${run.code}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return run;
}

// -------------------------------------------------------- databases on a server

/** A new connection for `sql` (with `params`), closed afterwards: admin statements, bulk scripts, settings. */
export async function execOn(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

export async function adminQuery<Row = Record<string, unknown>>(adminUrl: string, sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await execOn(adminUrl, sql, params)).rows as Row[];
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Every database this process created and has not dropped yet (dropped on Ctrl-C too). */
const created = new Set<string>();

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new database named persistor_bench_<label>_<random>, empty or copied from `template`. */
export async function createDatabase(adminUrl: string, label: string, template?: string): Promise<BenchDatabase> {
  const name = uniqueDatabaseName(`persistor_bench_${label}`);
  // FILE_COPY: copying a large template is a file copy, not WAL for every block.
  await adminQuery(adminUrl, `CREATE DATABASE ${quote(name)}${template ? ` TEMPLATE ${quote(template)} STRATEGY = FILE_COPY` : ''}`);
  created.add(name);
  return {
    name,
    url: databaseUrl(adminUrl, name),
    drop: async () => {
      await dropPostgresDatabase(adminUrl, name);
      created.delete(name);
    },
  };
}

/**
 * A checkpoint before a measurement, so that one triggered by the writes of
 * a bulk load (or by pgbench -i) does not land in the middle of it.
 */
export async function checkpoint(adminUrl: string): Promise<void> {
  await adminQuery(adminUrl, 'CHECKPOINT');
}

export async function dropAllCreated(adminUrl: string): Promise<void> {
  for (const name of [...created]) {
    await dropPostgresDatabase(adminUrl, name).catch(() => undefined);
    created.delete(name);
  }
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `persistor-bench-${label}-`));
}

// ----------------------------------------------------------------- the machine

export function load1(): number {
  return round(loadavg()[0]!, 2);
}

/** Waits (bounded) for the 1-minute load average to fall under 1; returns the load when it stopped waiting. */
export async function waitForQuiet(options: BenchOptions, what: string): Promise<number> {
  const seconds = options.waitQuietSeconds ?? 0;
  const until = performance.now() + seconds * 1000;
  let load = load1();
  if (load >= 1 && seconds > 0) options.log(`  ${what}: load ${load}, waiting up to ${seconds} s for it to drop under 1`);
  while (load >= 1 && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 5000));
    load = load1();
  }
  if (load >= 1) options.log(`  ${what}: starting with load ${load} (>= 1): numbers may be pessimistic`);
  return load;
}

// --------------------------------------------------------------- phone numbers

/**
 * Distinct, valid mobile numbers (+44 79xx xxxxxx: libphonenumber-js accepts
 * every one of the 10^8), one per index, so rate limits per phone never
 * apply. `block` separates the sets of different phases.
 */
export function phoneFor(block: number, i: number): string {
  if (!Number.isInteger(block) || block < 0 || block > 99 || !Number.isInteger(i) || i < 0 || i >= 1_000_000)
    throw new Error(`phoneFor(${block}, ${i}): out of range`);
  return `+4479${String(block * 1_000_000 + i).padStart(8, '0')}`;
}

/** The bulk-loaded numbers: +1 415 2xx xxxx, i in [0, 1,000,000) (all valid US numbers). */
export function bulkPhone(i: number): string {
  return `+1415${2_000_000 + i}`;
}
export const BULK_PHONE_SQL = (i: string) => `'+1415' || (2000000 + ${i})::text`;
