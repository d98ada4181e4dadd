/**
 * The readers of typed settings (V019): a value in the usual shapes is cast
 * without an exception block, anything else through it. Both paths must give
 * what PostgreSQL's own cast gives, and a value that does not cast must give
 * the same clear error (22023, naming the setting and the value) whichever
 * path it takes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { expectPgError, setSetting } from './journey.js';

/** Values in the usual shapes take the direct cast, the others (a unit other than seconds to days, a second term, …) the checked one. */
const INTEGERS = ['5', ' 30 ', '+7', '-1', '000000012', '999999999', '1000000000', '2147483647', '-2147483648', '00000000000042'];
// U+2003 and U+00A0 are spaces to a Unicode regex but not to the int and interval input functions.
const BAD_INTEGERS = ['', 'five', '5.0', '1e3', '2147483648', '99999999999999999999', '0012345678901', '5 5', '5\u2003', '\u00a05'];
const INTERVALS = [
  '1 hour',
  '30 seconds',
  '5 minutes',
  '24 hours',
  '7 days',
  ' 90 minutes ',
  '1 day 2 hours',
  '01:30:00',
  'P1D',
  '1 week',
  '0 seconds',
  '-5 minutes',
];
const BAD_INTERVALS = ['', 'soon', '1 fortnight', '9999999999999 hours', '5'.repeat(30) + ' days', '5 days\u2003'];

describe.each(engines)('settings readers on %s', (engine) => {
  let target: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
    db = await target.open();
  });
  afterAll(async () => {
    await db?.close();
    await target?.drop();
  });

  async function read(kind: 'int' | 'interval', value: string): Promise<unknown> {
    const name = kind === 'int' ? 'max_failed_logins' : 'login_attempt_window';
    await setSetting(db, name, value);
    const { rows } = await db.query<{ v: unknown }>(
      kind === 'int' ? 'SELECT ecliptix_internal.setting_int($1)::text AS v' : 'SELECT ecliptix_internal.setting_interval($1)::text AS v',
      [name],
    );
    return rows[0]!.v;
  }

  it('an integer setting reads as PostgreSQL casts it', async () => {
    for (const value of INTEGERS) {
      const cast = (await db.query<{ v: string }>('SELECT $1::int::text AS v', [value])).rows[0]!.v;
      expect(await read('int', value), JSON.stringify(value)).toBe(cast);
    }
  });

  it('an integer setting that does not cast is a clear error', async () => {
    for (const value of BAD_INTEGERS)
      await expectPgError(read('int', value), '22023', `ecliptix setting "max_failed_logins" must be an integer, found "${value}"`);
  });

  it('an interval setting reads as PostgreSQL casts it', async () => {
    for (const value of INTERVALS) {
      const cast = (await db.query<{ v: string }>('SELECT $1::interval::text AS v', [value])).rows[0]!.v;
      expect(await read('interval', value), JSON.stringify(value)).toBe(cast);
    }
  });

  it('an interval setting that does not cast is a clear error', async () => {
    for (const value of BAD_INTERVALS)
      await expectPgError(
        read('interval', value),
        '22023',
        `ecliptix setting "login_attempt_window" must be an interval, found "${value}"`,
      );
  });
});
