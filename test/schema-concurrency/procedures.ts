/**
 * Small typed wrappers over the ecliptix procedures, shared by the
 * schema-concurrency, no-data-loss and index suites. Each wrapper calls the
 * procedure exactly as an application would (`SELECT * FROM ecliptix.f($1, …)`)
 * and returns its one row.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { Queryable } from '../../src/db/database.js';
import { shippedMigrationsDir } from '../../src/sql-files.js';

export type Row = Record<string, unknown>;

/** `SELECT * FROM ecliptix.<name>($1 … $n)`; every procedure returns exactly one row. */
export async function call<T extends Row = Row>(db: Queryable, name: string, args: readonly unknown[]): Promise<T> {
  const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
  const { rows } = await db.query<T>(`SELECT * FROM ecliptix.${name}(${placeholders})`, args);
  if (rows.length !== 1) throw new Error(`ecliptix.${name} returned ${rows.length} rows, expected 1`);
  return rows[0]!;
}

export interface DeviceResult extends Row {
  outcome: string;
  unique_id: string;
  status: number;
}

export function registerDevice(db: Queryable, deviceId: string = randomUUID(), appInstanceId: string = randomUUID()): Promise<DeviceResult> {
  return call<DeviceResult>(db, 'register_app_device_if_not_exists', [appInstanceId, deviceId, 1]);
}

export interface PhoneResult extends Row {
  outcome: string;
  unique_id: string;
  success: boolean;
}

export function ensurePhone(db: Queryable, phone: string, region: string | null = null, deviceUid: string | null = null): Promise<PhoneResult> {
  return call<PhoneResult>(db, 'ensure_phone_number', [phone, region, deviceUid]);
}

export interface FlowResult extends Row {
  outcome: string;
  flow_unique_id: string | null;
  phone_unique_id: string | null;
  status: string | null;
  otp_count: number | null;
}

export function initiateFlow(db: Queryable, deviceUid: string, phoneUid: string, purpose = 'registration', connectionId: number | null = null): Promise<FlowResult> {
  return call<FlowResult>(db, 'initiate_verification_flow', [deviceUid, phoneUid, purpose, connectionId]);
}

export interface OtpResult extends Row {
  outcome: string;
  otp_unique_id: string | null;
}

/** An OTP valid for five minutes of the database clock. */
export async function insertOtp(db: Queryable, flowUid: string, hash = 'aGFzaA==', salt = 'c2FsdA=='): Promise<OtpResult> {
  const { rows } = await db.query<OtpResult>(
    "SELECT * FROM ecliptix.insert_otp_record($1, $2, $3, ecliptix_internal.now() + interval '5 minutes')",
    [flowUid, hash, salt],
  );
  return rows[0]!;
}

export interface OtpStatusResult extends Row {
  outcome: string;
  success: boolean;
  message: string;
}

export function updateOtpStatus(db: Queryable, otpUid: string, status: string): Promise<OtpStatusResult> {
  return call<OtpStatusResult>(db, 'update_otp_status', [otpUid, status]);
}

export interface MembershipResult extends Row {
  outcome: string;
  membership_unique_id: string | null;
  status: string | null;
  creation_status: string | null;
  retry_after_minutes: number | null;
}

export function createMembership(db: Queryable, flowUid: string, connectionId: number | null, otpUid: string): Promise<MembershipResult> {
  return call<MembershipResult>(db, 'create_membership', [flowUid, connectionId, otpUid, 'otp_verified']);
}

export interface LoginResult extends Row {
  outcome: string;
  membership_unique_id: string | null;
  status: string | null;
  secure_key: Uint8Array | null;
  retry_after_seconds: number | null;
}

export function login(db: Queryable, phone: string): Promise<LoginResult> {
  return call<LoginResult>(db, 'login_membership', [phone]);
}

/** Device + phone (linked) + registration flow verified through its OTP. */
export async function verifiedRegistrationFlow(
  db: Queryable,
  phone: string,
  connectionId: number | null = null,
): Promise<{ deviceUid: string; phoneUid: string; flowUid: string; otpUid: string }> {
  const deviceUid = (await registerDevice(db)).unique_id;
  const phoneUid = (await ensurePhone(db, phone, null, deviceUid)).unique_id;
  const flow = await initiateFlow(db, deviceUid, phoneUid, 'registration', connectionId);
  if (flow.outcome !== 'created' || !flow.flow_unique_id) throw new Error(`initiate_verification_flow: ${flow.outcome}`);
  const otp = await insertOtp(db, flow.flow_unique_id);
  if (otp.outcome !== 'created' || !otp.otp_unique_id) throw new Error(`insert_otp_record: ${otp.outcome}`);
  const verified = await updateOtpStatus(db, otp.otp_unique_id, 'verified');
  if (verified.outcome !== 'updated') throw new Error(`update_otp_status: ${verified.outcome}`);
  return { deviceUid, phoneUid, flowUid: flow.flow_unique_id, otpUid: otp.otp_unique_id };
}

/** Opens every connection of a pool up front, so that the calls of a race start together. */
export async function warmUp(db: Queryable, connections: number): Promise<void> {
  await Promise.all(Array.from({ length: connections }, () => db.query('SELECT pg_sleep(0.05)')));
}

/** Counts outcomes: { created: 1, exists: 31 }. */
export function tally(results: readonly { outcome: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

// ---------------------------------------------------------------------------
// Lock-removal mutants (manual check that each concurrency test depends on its lock)
// ---------------------------------------------------------------------------

interface Mutant {
  /** Migration files (relative to the shipped folder) to re-apply with the edits. */
  files: string[] | (() => string[]);
  /** Each pattern must match at least one of the files, else the mutant is stale. */
  edits: { pattern: RegExp; replacement: string }[];
}

/** Every shipped migration file whose text contains `needle`. */
function filesContaining(needle: string): () => string[] {
  return () =>
    (readdirSync(shippedMigrationsDir, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.sql'))
      .map((file) => file.split(sep).join('/'))
      .filter((file) => readFileSync(join(shippedMigrationsDir, file), 'utf8').includes(needle))
      .sort();
}

/**
 * Set SCHEMA_CONCURRENCY_MUTANT=<name> to run concurrency.test.ts against
 * copies of the routines with one lock removed (applied to the test database
 * only; the migration files are not touched). Every test that relies on that
 * lock must then fail.
 */
export const lockMutants: Record<string, Mutant> = {
  // Check-then-insert without ON CONFLICT (the original's pattern).
  'register-device-no-on-conflict': {
    files: ['procedures/R__register_app_device_if_not_exists.sql'],
    edits: [
      {
        pattern: /insert into ecliptix\.app_devices as d \(app_instance_id, device_id, device_type\)\s+values \(p_app_instance_id, p_device_id, p_device_type\)\s+on conflict \(device_id\) where not is_deleted do nothing\s+returning d\.unique_id into v_unique_id;/,
        replacement: `if not exists (select 1 from ecliptix.app_devices d where d.device_id = p_device_id and not d.is_deleted) then
      insert into ecliptix.app_devices as d (app_instance_id, device_id, device_type)
      values (p_app_instance_id, p_device_id, p_device_type)
      returning d.unique_id into v_unique_id;
    end if;`,
      },
    ],
  },
  'initiate-flow-no-phone-lock': {
    files: ['procedures/R__initiate_verification_flow.sql'],
    edits: [{ pattern: /(where p\.unique_id = p_phone_unique_id and not p\.is_deleted)\s+for update;/, replacement: '$1;' }],
  },
  'insert-otp-no-flow-lock': {
    files: ['procedures/R__insert_otp_record.sql'],
    edits: [{ pattern: /(where f\.unique_id = p_flow_unique_id and not f\.is_deleted)\s+for update;/, replacement: '$1;' }],
  },
  // Every pg_advisory_xact_lock of the login path (login_membership and the
  // helpers it calls), wherever it lives.
  'login-no-advisory-lock': {
    files: filesContaining("pg_advisory_xact_lock(hashtextextended('ecliptix.login:'"),
    edits: [{ pattern: /perform pg_advisory_xact_lock\(hashtextextended\('ecliptix\.login:'[^;]*\);/g, replacement: '' }],
  },
  // Only login_membership's own advisory lock (the helpers it calls keep theirs).
  'login-membership-no-own-advisory-lock': {
    files: ['procedures/R__login_membership.sql'],
    edits: [{ pattern: /perform pg_advisory_xact_lock\(hashtextextended\('ecliptix\.login:'[^;]*\);/g, replacement: '' }],
  },
  'create-membership-no-phone-lock': {
    files: ['procedures/R__create_membership.sql'],
    edits: [{ pattern: /(where p\.id = v_phone_id)\s+for update;/, replacement: '$1;' }],
  },
  'create-membership-no-locks': {
    files: ['procedures/R__create_membership.sql'],
    edits: [
      { pattern: /(where p\.id = v_phone_id)\s+for update;/, replacement: '$1;' },
      { pattern: /(where f\.unique_id = p_flow_unique_id and not f\.is_deleted)\s+for update;/, replacement: '$1;' },
    ],
  },
  'ensure-phone-no-row-lock': {
    files: ['procedures/R__ensure_phone_number.sql'],
    edits: [{ pattern: /(and not p\.is_deleted)\s+for update;/, replacement: '$1;' }],
  },
  // Check-then-insert of the phone without ON CONFLICT.
  'ensure-phone-no-on-conflict': {
    files: ['procedures/R__ensure_phone_number.sql'],
    edits: [
      {
        pattern: /insert into ecliptix\.phone_numbers as p \(phone_number, region\)\s+values \(p_phone_number, p_region\)\s+on conflict \(phone_number, \(coalesce\(region, ''\)\)\) where not is_deleted do nothing\s+returning p\.id, p\.unique_id into v_phone_id, v_phone_uid;/,
        replacement: `if not exists (select 1 from ecliptix.phone_numbers p where p.phone_number = p_phone_number
                   and coalesce(p.region, '') = coalesce(p_region, '') and not p.is_deleted) then
      insert into ecliptix.phone_numbers as p (phone_number, region)
      values (p_phone_number, p_region)
      returning p.id, p.unique_id into v_phone_id, v_phone_uid;
    end if;`,
      },
    ],
  },
};

/** Applies the mutant named by SCHEMA_CONCURRENCY_MUTANT (if any) to this database. */
export async function applyRequestedMutant(db: Queryable): Promise<string | undefined> {
  const name = process.env.SCHEMA_CONCURRENCY_MUTANT;
  if (!name) return undefined;
  const mutant = lockMutants[name];
  if (!mutant) throw new Error(`unknown SCHEMA_CONCURRENCY_MUTANT ${name}; known: ${Object.keys(lockMutants).join(', ')}`);
  const files = typeof mutant.files === 'function' ? mutant.files() : mutant.files;
  const texts = files.map((file) => readFileSync(join(shippedMigrationsDir, file), 'utf8'));
  for (const edit of mutant.edits) {
    if (!texts.some((text) => new RegExp(edit.pattern.source).test(text))) {
      throw new Error(`mutant ${name}: ${edit.pattern} no longer matches ${files.join(', ') || '(no file)'}`);
    }
  }
  for (const text of texts) {
    const mutated = mutant.edits.reduce((sql, edit) => sql.replace(edit.pattern, edit.replacement), text);
    if (mutated !== text) await db.exec(mutated);
  }
  return name;
}
