/**
 * Hostile values for the property tests: SQL-injection strings, Unicode edge
 * cases, huge strings, NULL/undefined, values of the wrong JavaScript type,
 * and timestamps far in the past and the future — mixed with plausible values
 * (real ids from the fixture, valid phone numbers and enumeration values) so
 * that the properties reach the deep paths of each routine, not only the
 * argument checks.
 */
import fc from 'fast-check';
import { getCountries, getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import type { Queryable } from '../../src/db/database.js';
import { TABLES } from '../schema/journey.js';

const SQL_INJECTION = [
  "'; DROP TABLE ecliptix.memberships; --",
  "' OR '1'='1",
  "' OR 1=1 --",
  '"; DELETE FROM ecliptix.app_devices; --',
  "'); TRUNCATE ecliptix.login_attempts; --",
  '$1',
  '$$; SELECT pg_sleep(5); $$',
  '1; SELECT pg_terminate_backend(pg_backend_pid())',
  "00000000-0000-0000-0000-000000000000' OR '1'='1",
  "+14155552671'; UPDATE ecliptix.memberships SET status = 'active'; --",
  "registration' OR purpose <> '",
  "pending'; --",
  "\\'; DROP SCHEMA ecliptix CASCADE; --",
  "E'\\x27'",
  '%s%s%s%n',
  '${process.exit(1)}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '__proto__',
  'constructor',
  'NaN',
  'null',
  'NULL',
  'undefined',
  'true',
  '',
  ' ',
  '\t\n\r',
];

const UNICODE_EDGES = [
  '\u0000',
  'a\u0000b',
  '+14155552671\u0000',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\uFEFF+14155552671',
  '\u202E+14155552671',
  '\u200B',
  '\u200D',
  '＋１４１５５５５２６７１',
  '+١٤١٥٥٥٥٢٦٧١',
  '+१४१५५५५२६७१',
  'e\u0301',
  '👨‍👩‍👧‍👦',
  '\u{10FFFF}',
  '\uFFFD',
  'İ',
  'ß',
  'ǅ',
  'Ⅻ',
  '\u0085',
  '\u2028',
  'REGISTRATION',
  'Registration',
  'registration ',
  'ｒｅｇｉｓｔｒａｔｉｏｎ',
  'pendıng',
];

const HUGE_STRINGS = [
  'x'.repeat(256),
  'y'.repeat(10_000),
  '9'.repeat(1_000_000),
  '+1'.padEnd(100_000, '5'),
  '€'.repeat(70_000),
  '😀'.repeat(30_000),
];

/** Timestamps in the far past and far future, and text PostgreSQL parses as special dates. */
export const EXTREME_DATES: unknown[] = [
  new Date(0),
  new Date(-8.64e15),
  new Date(8.64e15),
  new Date('0001-01-01T00:00:00Z'),
  new Date('9999-12-31T23:59:59Z'),
  new Date(Date.UTC(-4713, 0, 1)),
  new Date(NaN),
  'infinity',
  '-infinity',
  'epoch',
  'now',
  'today',
  'tomorrow',
  'yesterday',
  'allballs',
  '4713-01-01 BC',
  '4714-11-24 00:00:00+00 BC',
  '294276-12-31 23:59:59+00',
  '294277-01-01 00:00:00+00',
  '1970-01-01',
  '2038-01-19 03:14:08+00',
  '2026-02-30',
  '2026-13-01',
  'not a date',
];

const NUMBER_EDGES: unknown[] = [
  0,
  -0,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e308,
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '0x10',
  '1e3',
  ' 42 ',
];

/** Values of the wrong JavaScript type for any parameter. */
const ODD_VALUES: unknown[] = [
  null,
  undefined,
  true,
  false,
  {},
  [],
  [1, 2, 3],
  ['00000000-0000-0000-0000-000000000000'],
  { phoneNumber: '+14155552671' },
  Buffer.from([]),
  Buffer.from([0, 255, 1]),
  new Uint8Array(3),
  10n,
  -(2n ** 70n),
  Symbol('hostile'),
  () => 'fn',
  Object.create(null),
  new String('+14155552671'),
  new Number(7),
  { toString: () => "'; DROP TABLE ecliptix.app_devices; --" },
  { valueOf: () => 1 },
  new Map([['a', 1]]),
  /regex/,
  new Error('not an input'),
];

const exampleNumbers = getCountries()
  .map((country) => getExampleNumber(country, examples))
  .filter((n): n is NonNullable<typeof n> => !!n);

/** Valid numbers of every country, in E.164, national and international formats, with their region. */
export const validPhone = fc
  .constantFrom(...exampleNumbers)
  .chain((n) =>
    fc.constantFrom<{ phone: string; region: string | null }>(
      { phone: n.number, region: null },
      { phone: n.formatInternational(), region: null },
      { phone: n.formatNational(), region: n.country ?? null },
      { phone: n.number, region: n.country ?? null },
    ),
  );

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SQL_INJECTION),
  fc.constantFrom(...UNICODE_EDGES),
  fc.constantFrom(...HUGE_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^\+?[0-9 ()\-.]{0,25}$/),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `{${u}}`),
  fc.uuid().map((u) => u.replace(/-/g, '')),
  fc.uuid().map((u) => ` ${u}`),
);

/** Every edge constant, for the deterministic sweeps (each one through each field). */
export const EDGE_CONSTANTS: unknown[] = [
  ...SQL_INJECTION,
  ...UNICODE_EDGES,
  ...HUGE_STRINGS,
  ...NUMBER_EDGES,
  ...ODD_VALUES,
  ...EXTREME_DATES,
];

/**
 * A smaller sample of the edge constants, one or a few of each behaviour
 * (for sweeps where every call reaches the database).
 */
export const EDGE_SAMPLE: unknown[] = [
  ...SQL_INJECTION.filter((s) =>
    [
      "'; DROP TABLE ecliptix.memberships; --",
      "' OR '1'='1",
      '$1',
      '1; SELECT pg_terminate_backend(pg_backend_pid())',
      "00000000-0000-0000-0000-000000000000' OR '1'='1",
      '',
      ' ',
      'NULL',
      'true',
    ].includes(s),
  ),
  ...UNICODE_EDGES.filter((s) =>
    [
      '\u0000',
      'a\u0000b',
      '\ud800',
      '\uFEFF+14155552671',
      '＋１４１５５５５２６７１',
      '+١٤١٥٥٥٥٢٦٧١',
      '👨‍👩‍👧‍👦',
      'Registration',
      'ｒｅｇｉｓｔｒａｔｉｏｎ',
    ].includes(s),
  ),
  HUGE_STRINGS[0],
  HUGE_STRINGS[2],
  HUGE_STRINGS[5],
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  2 ** 31,
  Number.MAX_SAFE_INTEGER + 2,
  1e308,
  '9223372036854775808',
  '-9223372036854775809',
  null,
  undefined,
  true,
  {},
  [1, 2, 3],
  Buffer.from([]),
  Buffer.from([0, 255, 1]),
  10n,
  -(2n ** 70n),
  Symbol('hostile'),
  Object.create(null),
  { toString: () => "'; DROP TABLE ecliptix.app_devices; --" },
  new Date(-8.64e15),
  new Date(8.64e15),
  new Date(NaN),
  'infinity',
  '-infinity',
  '4714-11-24 00:00:00+00 BC',
  '294277-01-01 00:00:00+00',
  '2026-02-30',
];

/** Anything at all that is not a plausible value. */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: fc.constantFrom(...ODD_VALUES), weight: 2 },
  { arbitrary: fc.constantFrom(...NUMBER_EDGES), weight: 1 },
  { arbitrary: fc.constantFrom(...EXTREME_DATES), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.anything({ maxDepth: 2 }), weight: 1 },
);

/** Mostly plausible, sometimes hostile. */
export function field<T>(plausible: fc.Arbitrary<T>, hostileShare = 1, plausibleShare = 2): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: plausible, weight: plausibleShare }, { arbitrary: hostile, weight: hostileShare });
}

/** Describes a value for a failure message (without printing a megabyte). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 60 ? `string(${value.length}) ${JSON.stringify(value.slice(0, 30))}…` : JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return String(value);
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.getTime()})`;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 80)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * A parameter value the database driver cannot turn into text: PGlite's
 * serialisers call value.toString() (String(element) for an array's
 * elements), so an object whose toString is missing, is not a function, throws
 * or returns no string fails in the driver with a TypeError (or, for some
 * types, reaches PGlite as a malformed message, 08P01) before the routine
 * runs. fast-check's anything() draws such objects, e.g. { toString: 0 }.
 */
export function nonSerialisable(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || value instanceof Date || value instanceof Uint8Array) return false;
  if (Array.isArray(value)) return value.some((element) => nonSerialisable(element) || !stringifies(element));
  const { toString } = value as { toString?: unknown };
  if (typeof toString !== 'function') return true;
  try {
    return typeof toString.call(value) !== 'string';
  } catch {
    return true;
  }
}

function stringifies(value: unknown): boolean {
  try {
    String(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Row count and an order-independent digest of all 10 tables, to prove that a
 * refused call wrote nothing. It sums a 64-bit hash of each visible row
 * version's (ctid, xmin): PostgreSQL never changes a row in place — an insert
 * adds a version, an update replaces it by a new one (new ctid, new xmin), a
 * delete removes it — so any committed change alters the set, while a rolled
 * back one leaves it as it was. Unlike hashing every row's text
 * (snapshotAllTables), it need not read the megabyte strings that hostile
 * calls are allowed to store.
 */
export async function tableDigest(db: Queryable): Promise<Record<string, string>> {
  const sql = TABLES.map(
    (t) =>
      `SELECT '${t}' AS t, count(*) || ':' || coalesce(sum(hashtextextended(x.ctid::text || '/' || x.xmin::text, 0)), 0) AS s FROM ecliptix.${t} x`,
  ).join(' UNION ALL ');
  const { rows } = await db.query<{ t: string; s: string }>(sql);
  return Object.fromEntries(rows.map((r) => [r.t, r.s]));
}
