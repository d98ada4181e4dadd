/** pgbench, the reference point for the runtime: built-in tpcb-like and select-only, latencies from its per-transaction log. */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pgBin, round, runProcess, summarize, tempDir, type LatencySummary } from './support.js';

export type PgbenchScript = 'tpcb-like' | 'select-only';

export interface PgbenchResult extends LatencySummary {
  script: PgbenchScript;
  clients: number;
  /** Transactions per second, without the initial connection time (pgbench's own figure). */
  tps: number;
  durationS: number;
}

export async function pgbenchInit(url: string, scale: number): Promise<number> {
  const run = await runProcess(join(pgBin, 'pgbench'), ['-i', '-q', '-s', String(scale), url]);
  if (run.code !== 0) throw new Error(`pgbench -i failed: ${run.stderr.trim()}`);
  return run.wallMs;
}

/**
 * One pgbench run with the extended query protocol (-M extended), as the
 * memberships client's driver (node-postgres, parameterised queries) speaks
 * it; one thread per core.
 */
export async function pgbench(url: string, script: PgbenchScript, clients: number, durationS: number): Promise<PgbenchResult> {
  const dir = tempDir('pgbench');
  try {
    const args = [
      '-M',
      'extended',
      '-c',
      String(clients),
      '-j',
      String(Math.min(clients, 2)),
      '-T',
      String(durationS),
      '-n',
      '-l',
      `--log-prefix=${join(dir, 'tx')}`,
    ];
    if (script === 'select-only') args.push('-S');
    const run = await runProcess(join(pgBin, 'pgbench'), [...args, url], { timeoutMs: (durationS + 60) * 1000 });
    if (run.code !== 0) throw new Error(`pgbench ${script} -c ${clients} failed: ${run.stderr.trim()}`);
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(run.stdout)?.[1]);
    // Per-transaction log lines: client_id transaction_no time_us script_no epoch epoch_us
    const latencies: number[] = [];
    for (const file of readdirSync(dir)) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const us = Number(line.split(' ')[2]);
        if (Number.isFinite(us) && line) latencies.push(us / 1000);
      }
    }
    return { script, clients, tps: round(tps, 1), durationS, ...summarize(latencies) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
