/**
 * An exclusive, cross-process lock on a PGlite data directory.
 *
 * PGlite is single-process: two processes opening one data directory would
 * corrupt it. The lock is a file created with O_EXCL next to the directory,
 * holding the owner's pid. It is stale only when that pid is no longer alive
 * on this host — not after some time without a heartbeat, because PGlite runs
 * SQL synchronously (WASM) and can block the event loop for longer than any
 * heartbeat interval; an mtime-based lock (proper-lockfile) would then be
 * taken over while still in use.
 */
import { hostname } from 'node:os';
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { PersistorError } from '../errors.js';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** The lock file held beside an embedded data directory while one process has it open. */
export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

const POLL_INTERVAL_MS = 100;

function lockPathFor(dataDir: string): string {
  return `${dataDir.replace(/[\\/]+$/, '')}.lock`;
}

/**
 * Takes the data directory's lock file, waiting up to `timeoutMs` for another process to let go (a stale lock of a dead process is taken over); DATABASE_IN_USE naming the holder when it does not.
 */
export async function acquireDataDirLock(dataDir: string, timeoutMs: number): Promise<DataDirLock> {
  const path = lockPathFor(dataDir);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const deadline = Date.now() + timeoutMs;
  let lastOwner: LockOwner | undefined;

  for (;;) {
    try {
      await fs.writeFile(path, JSON.stringify(me), { flag: 'wx' });
      return { path, release: () => releaseIfOurs(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    lastOwner = await readOwner(path);
    if (lastOwner === undefined || isStale(lastOwner)) {
      await removeStaleLock(path, lastOwner);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new PersistorError(
        'DATABASE_IN_USE',
        `database in use: the embedded database ${dataDir} is open in process ${lastOwner.pid} (since ${lastOwner.since}); waited ${timeoutMs} ms`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as LockOwner;
  } catch {
    // Vanished, or caught between create and write: treat as held for one more poll.
    await sleep(POLL_INTERVAL_MS);
    return readOwnerOnce(path);
  }
}

async function readOwnerOnce(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes a stale lock over by renaming it aside first (atomic: of two waiters
 * only one rename succeeds), then checks that what was moved is the stale
 * owner's lock and not a fresh one created in between.
 */
async function removeStaleLock(path: string, staleOwner: LockOwner | undefined): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    await fs.rename(path, aside);
  } catch {
    return;
  }
  const moved = await readOwnerOnce(aside);
  if (moved && staleOwner && (moved.pid !== staleOwner.pid || moved.since !== staleOwner.since)) {
    await fs.link(aside, path).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

async function releaseIfOurs(path: string): Promise<void> {
  const owner = await readOwnerOnce(path);
  if (owner && owner.pid === process.pid && owner.host === hostname()) {
    await fs.rm(path, { force: true });
  }
}
