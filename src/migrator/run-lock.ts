/**
 * The advisory lock around a whole migrator run: concurrent `migrate`
 * processes on one database queue here, so each migration is applied once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '../db/database.js';
import { PersistorError } from '../errors.js';
import { sqlFile } from '../sql-files.js';

/** A fixed key (the first 8 bytes of sha256("ecliptix-persistor")), shared by every version of the tool. */
const RUN_LOCK_KEY = '-751836953389445539';

const POLL_MS = 50;
const MAX_POLL_MS = 500;

/**
 * Runs `work` holding the migrator's session-level advisory lock on `session`,
 * waiting up to `timeoutMs` for another run to release it (then a LOCK_TIMEOUT
 * error); the lock is released afterwards, whatever happened.
 *
 * @example
 * ```ts
 * await db.withSession((session) => withRunLock(session, 10_000, () => applyEverything(session)));
 * ```
 */
export async function withRunLock<T>(session: Queryable, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let wait = POLL_MS;
  for (;;) {
    const { rows } = await session.query<{ acquired: boolean }>(sqlFile('persistor/try-advisory-lock.sql'), [RUN_LOCK_KEY]);
    if (rows[0]?.acquired) break;
    if (Date.now() >= deadline) {
      throw new PersistorError(
        'LOCK_TIMEOUT',
        `another migrator run holds the lock on this database; gave up after ${timeoutMs} ms (raise --lock-timeout to wait longer)`,
      );
    }
    await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
    wait = Math.min(wait * 2, MAX_POLL_MS);
  }
  try {
    return await work();
  } finally {
    await session.query(sqlFile('persistor/advisory-unlock.sql'), [RUN_LOCK_KEY]).catch(() => undefined);
  }
}
