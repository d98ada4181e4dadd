/** Helpers for the operations suites: what a database holds, to compare before and after. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Queryable } from '../../src/db/database.js';

/** Every row of every table of the given schemas, as text, in a stable order (for exact before/after comparisons). */
export async function dumpSchemas(
  db: Queryable,
  schemas: readonly string[] = ['ecliptix', 'ecliptix_internal', 'persistor'],
): Promise<Record<string, string[]>> {
  const { rows: tables } = await db.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY ($1) AND c.relkind = 'r' ORDER BY 1`,
    [schemas],
  );
  const result: Record<string, string[]> = {};
  for (const { name } of tables) {
    // name comes from the catalog, quoted by format('%I'): safe to splice.
    result[name] = (await db.query<{ r: string }>(`SELECT x::text AS r FROM ${name} x ORDER BY 1`)).rows.map((r) => r.r);
  }
  return result;
}

/**
 * One user signed up through the procedures: device, phone (linked), verified
 * flow, OTP, membership with a secure key (the flow as proof), a login: the key
 * released, then the sign-in confirmed by the application.
 */
export async function signUp(db: Queryable, phone: string): Promise<void> {
  const one = async (sql: string, params: unknown[]) => (await db.query<Record<string, unknown>>(sql, params)).rows[0]!;
  const device = await one('SELECT * FROM ecliptix.register_app_device_if_not_exists(gen_random_uuid(), gen_random_uuid(), 1)', []);
  const created = await one("SELECT * FROM ecliptix.ensure_phone_number($1, 'US', $2)", [phone, device.app_device_id]);
  const flow = await one("SELECT * FROM ecliptix.initiate_verification_flow($1, $2, 'registration', 1)", [
    device.app_device_id,
    created.phone_unique_id,
  ]);
  const otp = await one(
    "SELECT * FROM ecliptix.insert_otp_record($1, 'hash', 'salt', ecliptix_internal.now() + interval '5 minutes', 'pending')",
    [flow.flow_unique_id],
  );
  await one("SELECT * FROM ecliptix.update_otp_status($1, 'verified')", [otp.otp_unique_id]);
  const membership = await one('SELECT * FROM ecliptix.create_membership($1, 1, $2)', [flow.flow_unique_id, otp.otp_unique_id]);
  const key = await one("SELECT * FROM ecliptix.update_membership_secure_key($1, '\\x0a0b0c'::bytea, $2)", [
    membership.membership_unique_id,
    flow.flow_unique_id,
  ]);
  if (key.outcome !== 'updated') throw new Error(`sign-up of ${phone}: secure key ${String(key.outcome)}`);
  const login = await one('SELECT * FROM ecliptix.login_membership($1)', [phone]);
  if (login.outcome !== 'success') throw new Error(`sign-up of ${phone} ended with ${String(login.outcome)}`);
  const confirmed = await one("SELECT * FROM ecliptix.log_login_attempt($1, 'signed_in', true)", [phone]);
  if (confirmed.outcome !== 'logged') throw new Error(`sign-up of ${phone}: confirmation ${String(confirmed.outcome)}`);
}

/** A digest of every file (path and content) under `dir`: proves a directory was left alone. */
export function directoryDigest(dir: string): string {
  const hash = createHash('sha256');
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const file of entries) hash.update(relative(dir, file)).update(readFileSync(file));
  return hash.digest('hex');
}
