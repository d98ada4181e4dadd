/** Helpers for the fault-injection suites: a seeded PRNG, a CLI child that can be killed, and PostgreSQL error classification. */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { cliPath } from '../support/cli.js';

/**
 * mulberry32: a small, seedable PRNG, so that a failing schedule of faults can
 * be replayed (the seed is printed; set FAULT_SEED to reuse it).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function faultSeed(fallback: number): number {
  const fromEnv = process.env.FAULT_SEED;
  return fromEnv && /^\d+$/.test(fromEnv) ? Number(fromEnv) : fallback;
}

export interface CliChild {
  child: ChildProcess;
  /** Milliseconds since spawn at which each stdout line arrived. */
  lines: { at: number; text: string }[];
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited: its code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves when the n-th stdout line has arrived (n ≥ 1), or when the process exits first (then false). */
  lineCount(n: number): Promise<boolean>;
}

/** Spawns the built CLI with a clean environment, recording when each output line arrives. */
export function spawnCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): CliChild {
  const started = performance.now();
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: { at: number; text: string }[] = [];
  const waiters: { n: number; resolve: (reached: boolean) => void }[] = [];
  let out = '';
  let err = '';
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    out += text;
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      lines.push({ at: performance.now() - started, text: pending.slice(0, newline) });
      pending = pending.slice(newline + 1);
    }
    for (const waiter of waiters.splice(0)) {
      if (lines.length >= waiter.n) waiter.resolve(true);
      else waiters.push(waiter);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.resolve(lines.length >= waiter.n);
      resolve({ code, signal, at: performance.now() - started });
    });
  });
  return {
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    exited,
    lineCount: (n) =>
      new Promise((resolve) => {
        if (lines.length >= n) resolve(true);
        else if (child.exitCode !== null || child.signalCode !== null) resolve(false);
        else waiters.push({ n, resolve });
      }),
  };
}

/** A PostgreSQL error (server or PGlite) carries a five-character SQLSTATE. */
export function sqlstateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Errors a client may see while its connection is dropped or the server
 * restarts — each says what happened: administrator shutdown/termination
 * (57P01/57P02/57P03), "the database system is starting up / shutting down"
 * (57P03, 08xxx), a refused or reset socket, or node-postgres's own messages
 * for a connection that ended.
 */
export function isConnectionFault(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/^57P0[1-3]$/.test(code) || /^08/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return /Connection terminated|connection error|Client was closed|timeout exceeded when trying to connect|terminating connection|the database system is (starting up|shutting down|in recovery mode|not yet accepting)|Client has encountered a connection error/i.test(
    message,
  );
}
