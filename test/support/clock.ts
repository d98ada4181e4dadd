/** Moves the database clock (ecliptix_internal.now()) instead of sleeping. */
import type { Queryable } from '../../src/db/database.js';

export async function setClockOffset(db: Queryable, seconds: number): Promise<void> {
  await db.query("UPDATE ecliptix_internal.settings SET value = $1 WHERE name = 'clock_offset'", [`${seconds} seconds`]);
}

export async function advanceClock(db: Queryable, seconds: number): Promise<void> {
  await db.query(
    "UPDATE ecliptix_internal.settings SET value = (value::interval + make_interval(secs => $1))::text WHERE name = 'clock_offset'",
    [seconds],
  );
}
