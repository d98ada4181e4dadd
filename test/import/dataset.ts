/**
 * A realistic EcliptixMemberships database as the SQL Server original holds
 * it, made by code from a seed, and written three ways: as a staging schema
 * shaped as pgloader creates it (with the README's command file), as
 * `bcp … out -c` files, and as CSV files with a header. Alongside, what the
 * import must make of it: every member's number and secure key, the lockouts
 * in force, the numbers at a limit.
 *
 * History per member: a device (some two), a phone row per region the app
 * sent (US, a NULL region, lower case, an unknown code), a verified
 * registration flow with its code, a membership with a 32-byte key (some
 * never finished: inactive, no key; some deactivated: inactive with a key;
 * some on the newer duplicate row of their number), sign-ins and failures,
 * lockouts past and in force, pending flows with pending codes, failed flows
 * with failed checks, soft-deleted phones, links and memberships.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Queryable } from '../../src/db/database.js';
import { ORIGINAL_TABLES, type OriginalTable } from '../../src/operations/import/tables.js';
import { seededRandom } from '../faults/support.js';

/** A row in the original's column order: numbers, GUID strings, DATETIME2 strings, booleans, strings, Buffers, NULLs. */
export type Value = number | string | boolean | Buffer | null;
export type Row = Value[];

export interface Member {
  phoneNumber: string;
  /** The membership a sign-in must release, and its plaintext key; undefined when the number has no usable membership. */
  membershipId?: string;
  secureKey?: Buffer;
  /** LOCKED_UNTIL still in force at generation time. */
  lockedUntil?: Date;
}

export interface Dataset {
  now: Date;
  rows: Record<string, Row[]>;
  members: Member[];
  /** Numbers with 4 failed sign-ins 90 seconds before `now`: the next failure locks them. */
  oneFailureFromLockout: string[];
  /** Numbers with 30 flows in the last hour: a new flow is refused. */
  flowLimitReached: string[];
  /** Numbers with 15 failed code checks in the last hour: checks are refused. */
  otpBudgetSpent: string[];
  /** Every original secret (keys, OTP hashes and salts), to look for in outputs. */
  secrets: string[];
  /** Phone rows that are active duplicates of an older row of the same number. */
  duplicatePhones: number;
}

/** DATETIME2 as bcp writes it: yyyy-mm-dd hh:mm:ss.fffffff (UTC, no zone). */
function datetime2(ms: number, ticks = 0): string {
  const iso = new Date(ms).toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(ticks % 10000).padStart(4, '0')}`;
}

export interface DatasetOptions {
  members: number;
  seed?: number;
  /** The moment of the move (default: this process's clock; tests pass databaseNow(db)). */
  now?: Date;
  /** Extra login attempts per member (history volume, for the benchmark). */
  extraLoginsPerMember?: number;
  /** Extra events per member. */
  extraEventsPerMember?: number;
}

const US_AREAS = [
  '201',
  '202',
  '203',
  '206',
  '212',
  '213',
  '214',
  '215',
  '216',
  '217',
  '303',
  '305',
  '310',
  '312',
  '313',
  '404',
  '415',
  '503',
  '512',
  '602',
  '617',
  '646',
  '702',
  '713',
  '718',
  '720',
  '773',
  '804',
  '818',
  '917',
];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function makeDataset(options: DatasetOptions): Dataset {
  const random = seededRandom(options.seed ?? 15);
  const now = options.now ?? new Date();
  const t0 = now.getTime();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number): boolean => random() < p;
  const uuid = (): string => {
    const b = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) b[i] = Math.floor(random() * 256);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const ts = (ms: number): string => datetime2(ms, Math.floor(random() * 10000));
  const bytes = (n: number): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
    return b;
  };

  const rows: Record<string, Row[]> = Object.fromEntries(ORIGINAL_TABLES.map((t) => [t.source, []]));
  const ids: Record<string, number> = Object.fromEntries(ORIGINAL_TABLES.map((t) => [t.source, 0]));
  const nextId = (table: string): number => (ids[table] = ids[table]! + 1);
  const secrets: string[] = [];
  const members: Member[] = [];
  const oneFailureFromLockout: string[] = [];
  const flowLimitReached: string[] = [];
  const otpBudgetSpent: string[] = [];
  let duplicatePhones = 0;

  const device = (createdMs: number, deleted = false): string => {
    const uid = uuid();
    rows.AppDevices!.push([nextId('AppDevices'), uuid(), uuid(), pick([1, 1, 1, 2]), ts(createdMs), ts(createdMs), deleted, uid]);
    return uid;
  };
  const phone = (number: string, region: string | null, createdMs: number, deleted = false): { id: number; uid: string } => {
    const uid = uuid();
    const id = nextId('PhoneNumbers');
    rows.PhoneNumbers!.push([id, number, region, ts(createdMs), ts(createdMs), deleted, uid]);
    return { id, uid };
  };
  const link = (phoneUid: string, deviceUid: string, primary: boolean, createdMs: number, deleted = false): void => {
    rows.PhoneNumberDevices!.push([phoneUid, deviceUid, primary, ts(createdMs), ts(createdMs), deleted]);
  };
  const otp = (flowUid: string, phoneId: number, createdMs: number, status: string, active: boolean, deleted = false): string => {
    const uid = uuid();
    const salt = bytes(16).toString('base64');
    const hash = createHash('sha256')
      .update(`${String(Math.floor(random() * 1e6)).padStart(6, '0')}${salt}`)
      .digest('hex');
    secrets.push(hash, salt);
    rows.OtpRecords!.push([
      nextId('OtpRecords'),
      flowUid,
      phoneId,
      hash,
      salt,
      ts(createdMs + 30_000),
      status,
      active,
      ts(createdMs),
      ts(createdMs),
      deleted,
      uid,
    ]);
    return uid;
  };
  const flow = (
    phoneId: number,
    deviceUid: string,
    purpose: string,
    status: string,
    createdMs: number,
    otps: number,
    deleted = false,
  ): { uid: string; otpUids: string[] } => {
    const uid = uuid();
    const expires = status === 'verified' ? createdMs + DAY : createdMs + MINUTE;
    rows.VerificationFlows!.push([
      nextId('VerificationFlows'),
      phoneId,
      deviceUid,
      status,
      purpose,
      ts(expires),
      otps,
      chance(0.5) ? Math.floor(random() * 100000) : null,
      ts(createdMs),
      ts(createdMs),
      deleted,
      uid,
    ]);
    const otpUids: string[] = [];
    for (let i = 0; i < otps; i++) {
      const last = i === otps - 1;
      const otpStatus =
        status === 'verified' && last ? 'verified' : status === 'pending' && last ? 'pending' : status === 'failed' ? 'failed' : 'expired';
      otpUids.push(otp(uid, phoneId, createdMs + i * 31_000, otpStatus, last && status === 'pending', deleted));
    }
    return { uid, otpUids };
  };
  const failedCheck = (otpUid: string, flowUid: string, atMs: number): void => {
    rows.FailedOtpAttempts!.push([nextId('FailedOtpAttempts'), otpUid, flowUid, ts(atMs), ts(atMs), ts(atMs), false]);
  };
  const membership = (
    phoneUid: string,
    deviceUid: string,
    flowUid: string,
    key: Buffer | null,
    status: string,
    createdMs: number,
    deleted = false,
  ): string => {
    const uid = uuid();
    if (key && key.length > 0) secrets.push(key.toString('hex'), key.toString('base64'));
    rows.Memberships!.push([
      nextId('Memberships'),
      phoneUid,
      deviceUid,
      flowUid,
      key,
      status,
      key ? 'secure_key_set' : 'otp_verified',
      ts(createdMs),
      ts(createdMs),
      deleted,
      uid,
    ]);
    return uid;
  };
  const membershipAttempt = (phoneUid: string, atMs: number, outcome: string, success: boolean): void => {
    rows.MembershipAttempts!.push([nextId('MembershipAttempts'), phoneUid, ts(atMs), outcome, success, ts(atMs), ts(atMs), false]);
  };
  const login = (number: string, atMs: number, outcome: string, success: boolean): void => {
    rows.LoginAttempts!.push([nextId('LoginAttempts'), ts(atMs), number, outcome, success, ts(atMs), ts(atMs)]);
  };
  const lockedUntil = (ms: number): string =>
    `LOCKED_UNTIL:${new Date(ms).toISOString().slice(0, 23)}${String(Math.floor(random() * 10000)).padStart(4, '0')}`;
  const event = (type: string, message: string, atMs: number): void => {
    rows.EventLog!.push([nextId('EventLog'), type, message, ts(atMs)]);
  };

  // Distinct for up to 300,000 members.
  const numberOf = (i: number): { number: string; region: string } => {
    const kind = i % 10;
    if (kind < 7)
      return {
        number: `+1${US_AREAS[i % US_AREAS.length]}555${String(Math.floor(i / US_AREAS.length) % 10000).padStart(4, '0')}`,
        region: 'US',
      };
    if (kind < 9) return { number: `+4420794${String(i).padStart(5, '0').slice(-5)}`, region: 'GB' };
    return { number: `+336${String(10_000_000 + i).slice(-8)}`, region: 'FR' };
  };
  const used = new Set<string>();

  for (let i = 0; i < options.members; i++) {
    const first = numberOf(i);
    const region = first.region;
    let number = first.number;
    while (used.has(number)) number = `${number.slice(0, -4)}${String(Math.floor(random() * 10000)).padStart(4, '0')}`;
    used.add(number);
    const joined = t0 - (30 + Math.floor(random() * 300)) * DAY;
    const dev = device(joined);
    // The region the app sent: mostly right, sometimes NULL, lower case or an unknown code.
    const sentRegion = chance(0.1) ? null : chance(0.05) ? region.toLowerCase() : chance(0.03) ? 'ZZ' : region;
    const home = phone(number, sentRegion, joined);
    link(home.uid, dev, true, joined);
    const reg = flow(home.id, dev, 'registration', 'verified', joined, 1 + Math.floor(random() * 2));
    membershipAttempt(home.uid, joined + MINUTE, 'created', true);

    const kind = random();
    let keyed: { uid: string; key: Buffer; created: number } | undefined;
    if (kind < 0.08) {
      // Registration never finished: inactive, no key.
      membership(home.uid, dev, reg.uid, null, 'inactive', joined + MINUTE);
    } else if (kind < 0.11) {
      // A deactivated account: its key is kept, a sign-in is refused.
      const key = bytes(32);
      membership(home.uid, dev, reg.uid, key, 'inactive', joined + MINUTE);
    } else if (kind < 0.25) {
      // The same number again under another region (or none), later, from the same device: a duplicate phone row.
      // The first membership was never finished; the one on the duplicate row has the key.
      membership(home.uid, dev, reg.uid, null, 'inactive', joined + MINUTE);
      const later = joined + 2 * DAY;
      const dup = phone(number, pick([null, 'CA', region === 'US' ? 'GB' : 'US']), later);
      duplicatePhones++;
      link(dup.uid, dev, true, later);
      const reg2 = flow(dup.id, dev, 'registration', 'verified', later, 1);
      const key = bytes(32);
      keyed = { uid: membership(dup.uid, dev, reg2.uid, key, 'active', later + MINUTE), key, created: later + MINUTE };
      membershipAttempt(dup.uid, later + MINUTE, 'created', true);
      // A pending flow on the duplicate row, the same device and purpose as one on the kept row.
      if (chance(0.5)) {
        flow(home.id, dev, 'login', 'pending', t0 - 20_000, 1);
        flow(dup.id, dev, 'login', 'pending', t0 - 10_000, 1);
      }
    } else {
      const key = bytes(32);
      keyed = { uid: membership(home.uid, dev, reg.uid, key, 'active', joined + MINUTE), key, created: joined + MINUTE };
      if (chance(0.15)) {
        // A second device, its own (older, soft-deleted) membership and a soft-deleted link.
        const dev2 = device(joined + DAY);
        link(home.uid, dev2, false, joined + DAY, true);
        const reg2 = flow(home.id, dev2, 'registration', 'verified', joined + DAY, 1);
        const oldKey = bytes(32);
        membership(home.uid, dev2, reg2.uid, oldKey, 'active', joined + DAY, true);
      }
    }

    // An old number the member gave up: soft-deleted phone row, link and membership.
    if (chance(0.05)) {
      const old = phone(number, region, joined - 400 * DAY, true);
      link(old.uid, dev, false, joined - 400 * DAY, true);
    }

    // History: sign-ins, failures, lockouts.
    const loginKind = random();
    let member: Member = { phoneNumber: number, ...(keyed ? { membershipId: keyed.uid, secureKey: keyed.key } : {}) };
    for (let k = 0; k < 1 + Math.floor(random() * 3) + (options.extraLoginsPerMember ?? 0); k++) {
      login(number, joined + (k + 1) * HOUR + Math.floor(random() * HOUR), 'success', true);
    }
    if (loginKind < 0.06 && keyed) {
      // Locked out now: five failures and LOCKED_UNTIL in 10-50 minutes.
      const at = t0 - 2 * MINUTE;
      for (let k = 0; k < 5; k++) login(number, at + k * 1000, 'invalid_passphrase', false);
      const until = t0 + (10 + Math.floor(random() * 40)) * MINUTE;
      login(number, at + 5000, lockedUntil(until), false);
      member = { ...member, lockedUntil: new Date(until) };
    } else if (loginKind < 0.12) {
      // A lockout that ended long ago, then a success.
      const at = t0 - 10 * DAY;
      for (let k = 0; k < 5; k++) login(number, at + k * 1000, 'invalid_passphrase', false);
      login(number, at + 5000, lockedUntil(at + 5 * MINUTE), false);
      login(number, at + HOUR, 'success', true);
    } else if (loginKind < 0.16 && keyed) {
      // Four failures a moment ago: the next one locks.
      for (let k = 0; k < 4; k++) login(number, t0 - 90_000 + k * 1000, 'invalid_passphrase', false);
      oneFailureFromLockout.push(number);
    }
    members.push(member);

    // Flows: expired, failed with failed checks, pending with its pending code.
    if (chance(0.3)) flow(home.id, dev, 'login', 'expired', t0 - Math.floor(random() * 20) * DAY - HOUR, 1);
    if (chance(0.2)) {
      const failed = flow(home.id, dev, 'login', 'failed', t0 - 5 * DAY, 1);
      for (let k = 0; k < 5; k++) failedCheck(failed.otpUids[0]!, failed.uid, t0 - 5 * DAY + k * 5000);
    }
    if (chance(0.15)) flow(home.id, dev, 'password_recovery', 'pending', t0 - 30_000, 1);
    if (chance(0.1)) membershipAttempt(home.uid, t0 - 3 * DAY, 'membership_already_exists', false);
    if (chance(0.05)) flow(home.id, dev, 'update_phone', 'expired', t0 - 50 * DAY, 0, true);
    for (let k = 0; k < (options.extraEventsPerMember ?? 0); k++) event('login', `member ${i} signed in (${k})`, joined + k * HOUR);
  }

  // Numbers at a limit (members with usable keys, not locked out).
  const usable = members.filter((m) => m.secureKey && !m.lockedUntil && !oneFailureFromLockout.includes(m.phoneNumber));
  for (const m of usable.slice(0, 2)) {
    const row = rows.PhoneNumbers!.find((r) => r[1] === m.phoneNumber && r[5] === false)!;
    const dev = rows.Memberships!.find((r) => r[10] === m.membershipId)![2] as string;
    for (let k = 0; k < 30; k++) flow(row[0] as number, dev, 'login', 'expired', t0 - 50 * MINUTE + k * 1000, 0);
    flowLimitReached.push(m.phoneNumber);
  }
  for (const m of usable.slice(2, 4)) {
    const row = rows.PhoneNumbers!.find((r) => r[1] === m.phoneNumber && r[5] === false)!;
    const dev = rows.Memberships!.find((r) => r[10] === m.membershipId)![2] as string;
    for (let f = 0; f < 3; f++) {
      const failed = flow(row[0] as number, dev, 'login', 'failed', t0 - 40 * MINUTE + f * MINUTE, 1);
      for (let k = 0; k < 5; k++) failedCheck(failed.otpUids[0]!, failed.uid, t0 - 40 * MINUTE + f * MINUTE + k * 1000);
    }
    otpBudgetSpent.push(m.phoneNumber);
  }

  // Sign-ins the original recorded for strings that are no E.164 number.
  login('4155550000', t0 - DAY, 'phone_number_not_found', false);
  login('+1 (415) 555', t0 - DAY, 'phone_number_not_found', false);
  event('deployment', 'EcliptixMemberships deployed', t0 - 400 * DAY);
  event('maintenance', 'index rebuild "nightly", with a comma and quotes', t0 - 100 * DAY);

  return { now, rows, members, oneFailureFromLockout, flowLimitReached, otpBudgetSpent, secrets, duplicatePhones };
}

// ---------------------------------------------------------------------------
// Writers.
// ---------------------------------------------------------------------------

function bcpField(value: Value, table: OriginalTable, index: number): string {
  if (value === null) return '';
  const kind = table.columns[index]!.kind;
  if (kind === 'guid') return (value as string).toUpperCase();
  if (kind === 'bit') return value ? '1' : '0';
  if (kind === 'binary') return (value as Buffer).toString('hex').toUpperCase();
  if (kind === 'text' && value === '') return '\u0000';
  return String(value);
}

function csvField(value: Value, table: OriginalTable, index: number): string {
  if (value === null) return '';
  const kind = table.columns[index]!.kind;
  let text: string;
  if (kind === 'guid') text = (value as string).toUpperCase();
  else if (kind === 'bit') text = value ? 'True' : 'False';
  else if (kind === 'binary') text = `0x${(value as Buffer).toString('hex').toUpperCase()}`;
  else text = String(value);
  return kind === 'text' || /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface WriteFilesOptions {
  format: 'bcp' | 'csv';
  /** Row terminator (bcp on Windows writes \r\n). */
  newline?: string;
}

/** Writes one file per table (AppDevices.bcp, … or AppDevices.csv, …) into `dir`; returns the paths by table. */
export async function writeFiles(data: Pick<Dataset, 'rows'>, dir: string, options: WriteFilesOptions): Promise<Record<string, string>> {
  mkdirSync(dir, { recursive: true });
  const paths: Record<string, string> = {};
  const newline = options.newline ?? (options.format === 'bcp' ? '\r\n' : '\n');
  for (const table of ORIGINAL_TABLES) {
    const path = join(dir, `${table.source}.${options.format}`);
    paths[table.source] = path;
    const out = createWriteStream(path);
    if (options.format === 'csv') out.write(`${table.columns.map((c) => c.source).join(',')}${newline}`);
    let buffer = '';
    for (const row of data.rows[table.source]!) {
      buffer +=
        row
          .map((v, i) => (options.format === 'bcp' ? bcpField(v, table, i) : csvField(v, table, i)))
          .join(options.format === 'bcp' ? '\t' : ',') + newline;
      if (buffer.length > 1 << 20) {
        if (!out.write(buffer)) await once(out, 'drain');
        buffer = '';
      }
    }
    out.end(buffer);
    await once(out, 'finish');
  }
  return paths;
}

/** The types the README's pgloader command file gives each kind. */
const PGLOADER_TYPE: Record<string, string> = {
  bigint: 'bigint',
  int: 'integer',
  smallint: 'smallint',
  guid: 'uuid',
  datetime: 'timestamp',
  bit: 'boolean',
  text: 'text',
  binary: 'bytea',
};

/** pgloader's snake_case of a SQL Server name (AppDevices -> app_devices, UniqueId -> unique_id). */
/**
 * The database's clock (ecliptix_internal.now(), clock_offset included): a
 * dataset anchored to it is "just before the move" for the checks the
 * database makes with its own clock (lockout and rate-limit windows).
 */
export async function databaseNow(db: Queryable): Promise<Date> {
  const now = (await db.query<{ now: Date | string }>('select ecliptix_internal.now() as now')).rows[0]!.now;
  return now instanceof Date ? now : new Date(now);
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * The staging schema as pgloader creates it with the README's command file:
 * schema `schema`, tables and columns in snake_case (or lower case, as
 * pgloader's default "downcase identifiers" makes them), the cast types,
 * primary keys.
 */
export async function writeStagingSchema(
  db: Queryable,
  data: Pick<Dataset, 'rows'>,
  schema = 'ecliptix_import',
  options: { naming?: 'snake_case' | 'downcase' } = {},
): Promise<void> {
  const name = (n: string) => (options.naming === 'downcase' ? n.toLowerCase() : snakeCase(n));
  await db.exec(`create schema ${schema}`);
  for (const table of ORIGINAL_TABLES) {
    const cols = table.columns.map((c) => `${name(c.source)} ${PGLOADER_TYPE[c.kind]}${c.nullable ? '' : ' not null'}`);
    const key =
      table.columns[0]!.source === 'Id' ? `primary key (${name('Id')})` : `primary key (${name('PhoneNumberId')}, ${name('AppDeviceId')})`;
    await db.exec(`create table ${schema}.${name(table.source)} (${cols.join(', ')}, ${key})`);
    const all = data.rows[table.source]!;
    for (let start = 0; start < all.length; start += 5000) {
      const slice = all.slice(start, start + 5000);
      const arrays = table.columns.map((c, i) =>
        slice.map((row) => {
          const v = row[i]!;
          if (v === null) return null;
          if (c.kind === 'binary') return (v as Buffer).toString('hex');
          return String(v);
        }),
      );
      const select = table.columns
        .map((c, i) => (c.kind === 'binary' ? `decode(c${i}, 'hex')` : `c${i}::${PGLOADER_TYPE[c.kind]}`))
        .join(', ');
      const unnest = table.columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
      const alias = table.columns.map((_, i) => `c${i}`).join(', ');
      await db.query(`insert into ${schema}.${name(table.source)} select ${select} from unnest(${unnest}) as u (${alias})`, arrays);
    }
  }
}
