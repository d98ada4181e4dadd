/** Runs the real, built CLI (`dist/cli/main.js`) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A clean environment: no DATABASE_URL or ECLIPTIX_* leaking in from the developer's shell. */
function cleanEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env };
}

export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds since spawn. */
  at: number;
  stdout: string;
  stderr: string;
}

export interface CliChild {
  child: ChildProcess;
  /** Milliseconds since spawn at which each stdout line arrived. */
  lines: { at: number; text: string }[];
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited: its code, or the signal that ended it, and all it wrote. */
  exited: Promise<CliExit>;
  /** Resolves when the n-th stdout line has arrived (n ≥ 1), or when the process exits first (then false). */
  lineCount(n: number): Promise<boolean>;
}

/** Spawns the built CLI with a clean environment, to be signalled or killed; records when each output line arrives. */
export function spawnCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliChild {
  const started = performance.now();
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: cleanEnv(options.env),
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
  const exited = new Promise<CliExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.resolve(lines.length >= waiter.n);
      resolve({ code, signal, at: performance.now() - started, stdout: out, stderr: err });
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
