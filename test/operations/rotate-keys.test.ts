/**
 * `rotate-keys`: every secure key under an older data key is re-encrypted to
 * the current one — checked in SQL (the key id in each stored header), and by
 * logging in with a keyring that no longer has the old key; dry run, second
 * run, interruption and resume, rows that cannot be rotated (exit 5), live
 * traffic on the server, bad input (exit 2).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { rotateKeys } from '../../src/commands/rotate-keys.js';
import { generateKeyring, keyringToText, type Keyring } from '../../src/client/keyring.js';
import { createMembershipsClient, type MembershipsClient } from '../../src/client/memberships-client.js';
import { devSecretsFileFor } from '../../src/client/open.js';
import { decryptSecureKey, encryptSecureKey } from '../../src/client/secure-key.js';
import type { Database, Queryable } from '../../src/db/database.js';
import { ROTATE_KEYS_LOCK_KEY } from '../../src/operations/rotate-keys.js';
import { nextUsPhone } from '../client/client-harness.js';
import { snapshotAllTables } from '../schema/journey.js';
import { runCli } from '../support/cli.js';
import { engines, freshDatabaseEach } from '../support/databases.js';

const K0 = generateKeyring('k0');
const K1 = generateKeyring('k1');
const KX = generateKeyring('kx'); // a key the rotating keyring does not have
/** The keyring after the new key was added: k1 current, k0 kept after it. */
const K1_K0: Keyring = {
  currentId: 'k1',
  keys: new Map([
    ['k1', K1.keys.get('k1')!],
    ['k0', K0.keys.get('k0')!],
  ]),
};
const OTP_KEYS = generateKeyring('otp');

interface Member {
  membershipId: string;
  phone: string;
  /** The secure key in the clear, as the application stored it. */
  plain: Buffer;
}

const clientFor = (db: Queryable, dataKeys: Keyring): MembershipsClient =>
  createMembershipsClient({ db, secrets: { otpKeys: OTP_KEYS, dataKeys } });

/** A membership created through the routines (device, phone, verified flow), without a secure key. */
async function newMembership(client: MembershipsClient): Promise<{ membershipId: string; phone: string }> {
  const device = await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() });
  const phone = nextUsPhone();
  const ensured = await client.ensurePhoneNumber({ phoneNumber: phone, region: 'US', appDeviceId: device.deviceId });
  if (!('phoneId' in ensured)) throw new Error(`phone: ${ensured.outcome}`);
  const flow = await client.initiateVerificationFlow({ appDeviceId: device.deviceId, phoneId: ensured.phoneId, purpose: 'registration' });
  if (flow.outcome !== 'created') throw new Error(`flow: ${flow.outcome}`);
  const otp = await client.issueOtp(flow.flow.flowId);
  if (otp.outcome !== 'issued') throw new Error(`otp: ${otp.outcome}`);
  const verified = await client.verifyOtp(flow.flow.flowId, otp.code);
  if (verified.outcome !== 'verified') throw new Error(`verify: ${verified.outcome}`);
  const membership = await client.createMembership({ flowId: flow.flow.flowId, otpId: otp.otpId });
  if (membership.outcome !== 'created') throw new Error(`membership: ${membership.outcome}`);
  return { membershipId: membership.membershipId, phone };
}

/** Stores a secure key as the application would (encrypted, status active, secure_key_set), straight into the row. */
async function storeKey(db: Queryable, membershipId: string, blob: Buffer): Promise<void> {
  const result = await db.query(
    "UPDATE ecliptix.memberships SET secure_key = $1, status = 'active', creation_status = 'secure_key_set' WHERE unique_id = $2::uuid",
    [blob, membershipId],
  );
  expect(result.rowCount).toBe(1);
}

/** `count` memberships whose secure keys were stored under `keyring`'s current key (k0 by default), in creation (id) order. */
async function membersUnder(db: Queryable, count: number, keyring: Keyring = K0, parallel = 1): Promise<Member[]> {
  const client = clientFor(db, keyring);
  const members: Member[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const created = await newMembership(client);
      const plain = randomBytes(32);
      await storeKey(db, created.membershipId, encryptSecureKey(keyring, created.membershipId, plain));
      members[i] = { ...created, plain };
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return members;
}

/** Rows per key id, read from the stored headers independently of the code under test. */
async function keyIdsInTable(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ key_id: string; n: number }>(
    `SELECT CASE WHEN get_byte(secure_key, 0) = 1 THEN convert_from(substring(secure_key FROM 3 FOR get_byte(secure_key, 1)), 'UTF8') ELSE '?' END AS key_id,
            count(*)::int AS n
       FROM ecliptix.memberships WHERE secure_key IS NOT NULL GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.key_id, r.n]));
}

async function storedKey(db: Queryable, membershipId: string): Promise<Buffer> {
  const { rows } = await db.query<{ secure_key: Uint8Array }>('SELECT secure_key FROM ecliptix.memberships WHERE unique_id = $1::uuid', [
    membershipId,
  ]);
  return Buffer.from(rows[0]!.secure_key);
}

/** Everything of the memberships except the secure key and updated_at (which a re-encryption changes). */
async function membershipsWithoutKeys(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ r: string }>(
    'SELECT (id, unique_id, phone_number_id, app_device_id, verification_flow_id, status, creation_status, created_at, is_deleted)::text AS r FROM ecliptix.memberships ORDER BY id',
  );
  return rows.map((r) => r.r);
}

/** Every successful login through a client whose keyring is `keyring` returns the member's own key. */
async function expectLogins(db: Queryable, keyring: Keyring, members: readonly Member[]): Promise<void> {
  const client = clientFor(db, keyring);
  for (const member of members) {
    const login = await client.login(member.phone);
    expect(login, member.phone).toMatchObject({ outcome: 'success', membershipId: member.membershipId });
    if (login.outcome === 'success') expect(login.secureKey.equals(member.plain), member.phone).toBe(true);
  }
}

/** Allows as many key releases as the tests need (the setting exists once the limit is deployed). */
async function allowManyLogins(db: Queryable): Promise<void> {
  await db.query("UPDATE ecliptix_internal.settings SET value = '1000000' WHERE name = 'max_key_releases_per_window'");
}

describe.each(engines)('rotate-keys on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it('dry run counts and changes nothing; the run re-encrypts every k0 key to k1 in batches; logins work with k0 removed; a second run does nothing', async () => {
    const { target, db } = fresh;
    await allowManyLogins(db);
    const members = await membersUnder(db, 23);
    const noKey = await newMembership(clientFor(db, K0)); // a membership without a secure key yet
    // A soft-deleted membership's key is under a data key like any other: it is rotated too.
    await db.query('UPDATE ecliptix.memberships SET is_deleted = true WHERE unique_id = $1::uuid', [members[22]!.membershipId]);
    expect(await keyIdsInTable(db)).toEqual({ k0: 23 });
    const before = await snapshotAllTables(db);

    const dry = await rotateKeys({ ...target.config, db, dataKeys: K1_K0, dryRun: true });
    expect(dry).toMatchObject({
      dryRun: true,
      interrupted: false,
      currentKeyId: 'k1',
      configuredKeyIds: ['k1', 'k0'],
      matched: 23,
      rotated: 0,
      batches: 0,
      rowsWithKey: 23,
      rowsWithoutKey: 1,
      remainingOld: 23,
      unknownKeyRows: 0,
      malformedRows: 0,
      removableKeyIds: [],
      allCurrent: false,
    });
    expect(dry.keys).toEqual([
      { keyId: 'k1', rows: 0, current: true, configured: true },
      { keyId: 'k0', rows: 23, current: false, configured: true },
    ]);
    expect(await snapshotAllTables(db)).toEqual(before);

    const otherColumns = await membershipsWithoutKeys(db);
    const progress: number[] = [];
    const run = await rotateKeys({ ...target.config, db, dataKeys: K1_K0, batchSize: 5, onProgress: (p) => progress.push(p.done) });
    expect(run).toMatchObject({
      dryRun: false,
      interrupted: false,
      batchSize: 5,
      matched: 23,
      rotated: 23,
      batches: 5,
      passes: 1,
      remainingOld: 0,
      removableKeyIds: ['k0'],
      allCurrent: true,
    });
    expect(run.keys).toEqual([
      { keyId: 'k1', rows: 23, current: true, configured: true },
      { keyId: 'k0', rows: 0, current: false, configured: true },
    ]);
    expect(progress).toEqual([5, 10, 15, 20, 23]);
    expect(await keyIdsInTable(db)).toEqual({ k1: 23 });
    expect(await membershipsWithoutKeys(db)).toEqual(otherColumns);
    expect(
      (await db.query('SELECT secure_key FROM ecliptix.memberships WHERE unique_id = $1::uuid', [noKey.membershipId])).rows[0],
    ).toEqual({ secure_key: null });

    // k0 removed from the keyring: every key still decrypts to the same bytes, through login and on the row.
    await expectLogins(db, K1, members.slice(0, 22));
    expect(decryptSecureKey(K1, members[22]!.membershipId, await storedKey(db, members[22]!.membershipId)).equals(members[22]!.plain)).toBe(
      true,
    );

    const after = await snapshotAllTables(db);
    const again = await rotateKeys({ ...target.config, db, dataKeys: K1_K0, batchSize: 5 });
    expect(again).toMatchObject({
      matched: 0,
      rotated: 0,
      batches: 0,
      passes: 0,
      remainingOld: 0,
      allCurrent: true,
      removableKeyIds: ['k0'],
    });
    expect(await snapshotAllTables(db)).toEqual(after);
    // The keyring without k0 reports the same: nothing to rotate, every row under the current key.
    expect(await rotateKeys({ ...target.config, db, dataKeys: K1 })).toMatchObject({
      rotated: 0,
      keys: [{ keyId: 'k1', rows: 23, current: true, configured: true }],
      allCurrent: true,
    });
  });

  it('stops between batches when asked (Ctrl-C), keeping the first batches in id order; the next run continues', async () => {
    const { target, db } = fresh;
    await allowManyLogins(db);
    const members = await membersUnder(db, 30);
    const controller = new AbortController();
    const stopped = await rotateKeys({
      ...target.config,
      db,
      dataKeys: K1_K0,
      batchSize: 7,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.batches === 2) controller.abort();
      },
    });
    expect(stopped).toMatchObject({
      interrupted: true,
      matched: 30,
      rotated: 14,
      batches: 2,
      remainingOld: 16,
      allCurrent: false,
      removableKeyIds: [],
    });
    expect(stopped.keys.map((k) => [k.keyId, k.rows])).toEqual([
      ['k1', 14],
      ['k0', 16],
    ]);
    // The rows are taken in key (id) order: exactly the 14 oldest memberships are under k1.
    const order = await db.query<{ unique_id: string; key_id: string }>(
      "SELECT unique_id::text, convert_from(substring(secure_key FROM 3 FOR get_byte(secure_key, 1)), 'UTF8') AS key_id FROM ecliptix.memberships ORDER BY id",
    );
    expect(order.rows.map((r) => r.key_id)).toEqual([...Array(14).fill('k1'), ...Array(16).fill('k0')]);
    expect(order.rows.map((r) => r.unique_id)).toEqual(members.map((m) => m.membershipId));
    // Half-way, the application (k1 current, k0 still configured) reads both kinds.
    await expectLogins(db, K1_K0, [members[0]!, members[29]!]);

    const rest = await rotateKeys({ ...target.config, db, dataKeys: K1_K0, batchSize: 7 });
    expect(rest).toMatchObject({
      interrupted: false,
      matched: 16,
      rotated: 16,
      batches: 3,
      remainingOld: 0,
      allCurrent: true,
      removableKeyIds: ['k0'],
    });
    expect(await keyIdsInTable(db)).toEqual({ k1: 30 });
    await expectLogins(db, K1, members);
  });

  it('rows under a key id the keyring lacks, malformed rows and tampered rows are counted, left alone and never shown; the rest is rotated', async () => {
    const { target, db } = fresh;
    const members = await membersUnder(db, 6);
    const [unknown] = await membersUnder(db, 1, KX);
    const malformed = await newMembership(clientFor(db, K0));
    await storeKey(db, malformed.membershipId, Buffer.from([0x0a, 0x0b, 0x0c]));
    const tampered = members[5]!;
    const blob = await storedKey(db, tampered.membershipId);
    blob[blob.length - 1] = blob[blob.length - 1]! ^ 0x01;
    await storeKey(db, tampered.membershipId, blob);
    const keep = {
      unknown: await storedKey(db, unknown!.membershipId),
      malformed: await storedKey(db, malformed.membershipId),
      tampered: blob,
    };

    const report = await rotateKeys({ ...target.config, db, dataKeys: K1_K0, batchSize: 4 });
    expect(report).toMatchObject({
      interrupted: false,
      matched: 6,
      rotated: 5,
      rowsWithKey: 8,
      remainingOld: 1,
      unknownKeyRows: 1,
      malformedRows: 1,
      undecryptable: { rows: 1, membershipIds: [tampered.membershipId] },
      removableKeyIds: [],
      allCurrent: false,
    });
    expect(report.keys).toEqual([
      { keyId: 'k1', rows: 5, current: true, configured: true },
      { keyId: 'k0', rows: 1, current: false, configured: true },
      { keyId: 'kx', rows: 1, current: false, configured: false },
    ]);
    expect(await keyIdsInTable(db)).toEqual({ k1: 5, k0: 1, kx: 1, '?': 1 });
    expect(await storedKey(db, unknown!.membershipId)).toEqual(keep.unknown);
    expect(await storedKey(db, malformed.membershipId)).toEqual(keep.malformed);
    expect(await storedKey(db, tampered.membershipId)).toEqual(keep.tampered);
    for (const member of members.slice(0, 5))
      expect(decryptSecureKey(K1, member.membershipId, await storedKey(db, member.membershipId)).equals(member.plain)).toBe(true);
  });

  it('the embedded database falls back to its development keys; a server needs ECLIPTIX_DATA_KEYS', async () => {
    const { target, db } = fresh;
    const members = await membersUnder(db, 3);
    if (engine === 'pglite') {
      const file = devSecretsFileFor(target.config.dataDir);
      writeFileSync(file, JSON.stringify({ otpKeys: keyringToText(OTP_KEYS), dataKeys: keyringToText(K1_K0) }), { mode: 0o600 });
      const told: string[] = [];
      const report = await rotateKeys({ ...target.config, db, env: {}, onDevelopmentKeys: (f) => told.push(f) });
      expect(report).toMatchObject({ currentKeyId: 'k1', rotated: 3, allCurrent: true });
      expect(told).toEqual([file]);
    } else {
      await expect(rotateKeys({ ...target.config, db, env: {} })).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        exitCode: 2,
        message: expect.stringContaining('ECLIPTIX_DATA_KEYS'),
      });
      const report = await rotateKeys({ ...target.config, db, env: { ECLIPTIX_DATA_KEYS: keyringToText(K1_K0) } });
      expect(report).toMatchObject({ currentKeyId: 'k1', rotated: 3, allCurrent: true });
    }
    expect(await keyIdsInTable(db)).toEqual({ k1: 3 });
    expect(decryptSecureKey(K1, members[0]!.membershipId, await storedKey(db, members[0]!.membershipId)).equals(members[0]!.plain)).toBe(
      true,
    );
  });
});

describe('rotate-keys on the server: live traffic, the command line', () => {
  const fresh = freshDatabaseEach('postgres', { withSchema: true });

  it('rotates while 4 connections keep storing keys (holding their rows locked) and logging in: nothing lost, nothing left under k0', async () => {
    const { target } = fresh;
    const db: Database = await target.open({ maxConnections: 12 });
    try {
      await allowManyLogins(db);
      const members = await membersUnder(db, 240, K0, 8);
      // What each member's key is now; each worker writes and reads only its own members, so this is exact.
      const expected = new Map(members.map((m) => [m.membershipId, m.plain]));
      const app = clientFor(db, K1_K0); // the application: the new key first, the old one kept
      let rotating = true;
      const stats = { writes: 0, logins: 0, failures: [] as string[] };
      const worker = async (w: number) => {
        const mine = members.filter((_, i) => i % 4 === w);
        for (let i = 0; i < 20_000 && rotating; i++) {
          const member = mine[Math.floor(Math.random() * mine.length)]!;
          if (i % 2 === 0) {
            // A key update as the application makes it: the row locked, a new key under the current data key.
            const plain = randomBytes(32);
            await db.transaction(async (tx) => {
              await tx.query('SELECT id FROM ecliptix.memberships WHERE unique_id = $1::uuid FOR UPDATE', [member.membershipId]);
              await sleep(2);
              await tx.query('UPDATE ecliptix.memberships SET secure_key = $1 WHERE unique_id = $2::uuid', [
                encryptSecureKey(K1_K0, member.membershipId, plain),
                member.membershipId,
              ]);
            });
            expected.set(member.membershipId, plain);
            stats.writes++;
          } else {
            const login = await app.login(member.phone);
            if (login.outcome !== 'success') stats.failures.push(`${member.phone}: ${login.outcome}`);
            else if (!login.secureKey.equals(expected.get(member.membershipId)!)) stats.failures.push(`${member.phone}: another key`);
            stats.logins++;
          }
        }
      };
      const traffic = Promise.all([0, 1, 2, 3].map(worker));
      while (stats.writes < 20) await sleep(5);
      const writesBefore = stats.writes;
      const report = await rotateKeys({ ...target.config, db, dataKeys: K1_K0, batchSize: 8 });
      rotating = false;
      await traffic;

      expect(stats.failures).toEqual([]);
      expect(stats.writes - writesBefore, 'the traffic kept writing during the rotation').toBeGreaterThan(0);
      expect(stats.logins).toBeGreaterThan(0);
      expect(report).toMatchObject({ interrupted: false, remainingOld: 0, unknownKeyRows: 0, allCurrent: true, removableKeyIds: ['k0'] });
      expect(report.rotated).toBeGreaterThan(0);
      expect(report.rotated).toBeLessThanOrEqual(report.matched);
      expect(await keyIdsInTable(db)).toEqual({ k1: 240 });
      // Nothing lost: every member's key is the one last written (by the traffic or at sign-up), and k0 is not needed.
      for (const member of members) {
        expect(
          decryptSecureKey(K1, member.membershipId, await storedKey(db, member.membershipId)).equals(expected.get(member.membershipId)!),
          member.phone,
        ).toBe(true);
      }
      await expectLogins(
        db,
        K1,
        members.slice(0, 40).map((m) => ({ ...m, plain: expected.get(m.membershipId)! })),
      );
    } finally {
      await db.close();
    }
  });

  it('rows the application holds locked are skipped, not waited for; its write wins; the next run takes what is left', async () => {
    const { target, db } = fresh;
    const members = await membersUnder(db, 10);
    const [written, held] = [members[2]!, members[5]!];
    const newPlain = randomBytes(32);
    await db.transaction(async (app) => {
      await app.query('SELECT id FROM ecliptix.memberships WHERE unique_id = ANY ($1::uuid[]) FOR UPDATE', [
        [written.membershipId, held.membershipId],
      ]);
      const started = performance.now();
      const report = await rotateKeys({ ...target.config, db, dataKeys: K1_K0, batchSize: 3 });
      expect(performance.now() - started, 'not blocked by the held rows (only the pauses between passes)').toBeLessThan(5_000);
      expect(report).toMatchObject({
        interrupted: false,
        matched: 10,
        rotated: 8,
        passes: 3,
        remainingOld: 2,
        allCurrent: false,
        removableKeyIds: [],
      });
      // The application stores a new key for one of them, under the current key, and commits.
      await app.query('UPDATE ecliptix.memberships SET secure_key = $1 WHERE unique_id = $2::uuid', [
        encryptSecureKey(K1_K0, written.membershipId, newPlain),
        written.membershipId,
      ]);
    });
    const rest = await rotateKeys({ ...target.config, db, dataKeys: K1_K0, batchSize: 3 });
    expect(rest).toMatchObject({ matched: 1, rotated: 1, passes: 1, remainingOld: 0, allCurrent: true });
    expect(await keyIdsInTable(db)).toEqual({ k1: 10 });
    expect(decryptSecureKey(K1, written.membershipId, await storedKey(db, written.membershipId)).equals(newPlain)).toBe(true);
    for (const member of members.filter((m) => m !== written))
      expect(decryptSecureKey(K1, member.membershipId, await storedKey(db, member.membershipId)).equals(member.plain)).toBe(true);
  });

  it('the CLI: --json report, human report, exit 5 for rows it cannot rotate, exit 1 while another rotation runs; never a key in the output', async () => {
    const { target, db } = fresh;
    const members = await membersUnder(db, 5);
    const [unknown] = await membersUnder(db, 1, KX);
    const env = { ECLIPTIX_DATA_KEYS: keyringToText(K1_K0) };
    const secrets = [K0, K1, KX].map((k) => [...k.keys.values()][0]!);
    const blobs = await Promise.all([...members, unknown!].map((m) => storedKey(db, m.membershipId)));
    const leaks = (text: string) =>
      [
        ...secrets.flatMap((key) => [key.toString('base64'), key.toString('hex')]),
        ...blobs.flatMap((blob) => [blob.toString('base64'), blob.toString('hex'), blob.subarray(30).toString('hex')]),
        ...members.map((m) => m.plain.toString('hex')),
      ].filter((s) => text.includes(s));

    const dry = await runCli(['rotate-keys', '--dry-run', ...target.cliArgs], { env });
    expect(dry.code).toBe(5);
    expect(dry.stdout).toMatch(/k1\s+0\s+current/);
    expect(dry.stdout).toMatch(/k0\s+5\s+older: still in use/);
    expect(dry.stdout).toMatch(/kx\s+1\s+NOT IN THE KEYRING: cannot be rotated/);
    expect(dry.stdout).toContain('dry run: 5 row(s) would be re-encrypted to k1; nothing was changed');
    expect(dry.stderr).toContain('1 secure key(s) cannot be rotated — 1 under key id(s) not in ECLIPTIX_DATA_KEYS (kx)');
    expect(await keyIdsInTable(db)).toEqual({ k0: 5, kx: 1 });

    const json = await runCli(['rotate-keys', '--json', '--batch-size', '2', ...target.cliArgs], { env });
    expect(json.code).toBe(5);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      rotated: 5,
      batches: 3,
      unknownKeyRows: 1,
      removableKeyIds: ['k0'],
      keys: [
        { keyId: 'k1', rows: 5 },
        { keyId: 'k0', rows: 0 },
        { keyId: 'kx', rows: 1 },
      ],
    });
    expect(await keyIdsInTable(db)).toEqual({ k1: 5, kx: 1 });

    // The unknown row gone (its key found and added, say): a clean run, exit 0, says k0 may be removed.
    await storeKey(db, unknown!.membershipId, encryptSecureKey(K1, unknown!.membershipId, randomBytes(32)));
    const human = await runCli(['rotate-keys', ...target.cliArgs], { env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/k0\s+0\s+older: no rows, safe to remove/);
    expect(human.stdout).toContain('done: 0 row(s) re-encrypted to k1');
    expect(human.stdout).toContain('no secure key uses k0: it may be removed from ECLIPTIX_DATA_KEYS');

    // One rotation at a time: while another holds the lock, exit 1.
    await db.withSession(async (session) => {
      await session.query('SELECT pg_advisory_lock($1::bigint)', [ROTATE_KEYS_LOCK_KEY]);
      try {
        const busy = await runCli(['rotate-keys', ...target.cliArgs], { env });
        expect(busy.code).toBe(1);
        expect(busy.stderr).toContain('another rotate-keys is running');
      } finally {
        await session.query('SELECT pg_advisory_unlock($1::bigint)', [ROTATE_KEYS_LOCK_KEY]);
      }
    });

    for (const run of [dry, json, human]) expect(leaks(run.stdout + run.stderr)).toEqual([]);
  });

  it('a user without access to the table (not the owner) is told to run it as the owner; nothing changes', async () => {
    const { target, db } = fresh;
    await membersUnder(db, 2);
    const role = `rk_${randomBytes(4).toString('hex')}`;
    await db.query(`CREATE ROLE ${role} LOGIN`); // a generated name, no input
    try {
      const url = new URL(target.config.databaseUrl!);
      url.username = role;
      await expect(rotateKeys({ databaseUrl: url.toString(), dataKeys: K1_K0 })).rejects.toMatchObject({
        code: 'OPERATION_FAILED',
        exitCode: 1,
        message: expect.stringContaining('run rotate-keys as the owner'),
      });
    } finally {
      await db.query(`DROP ROLE ${role}`);
    }
    expect(await keyIdsInTable(db)).toEqual({ k0: 2 });
  });

  it('bad input: exit 2 before anything is opened, with a clear message that shows no key', async () => {
    const { target } = fresh;
    const env = { ECLIPTIX_DATA_KEYS: keyringToText(K1_K0) };
    for (const [args, message] of [
      [['--batch-size', '0'], 'batch size must be a whole number between 1 and 50000 (got 0)'],
      [['--batch-size', 'many'], '--batch-size must be a whole number (got "many")'],
      [['--batch-size', '50001'], 'batch size must be a whole number between 1 and 50000'],
    ] as const) {
      const result = await runCli(['rotate-keys', ...args, '--data-dir', '/nonexistent/never-opened'], { env });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
    await expect(rotateKeys({ dataDir: '/nonexistent/never-opened', dataKeys: K1_K0, batchSize: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      exitCode: 2,
    });

    const missing = await runCli(['rotate-keys', ...target.cliArgs]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('set ECLIPTIX_DATA_KEYS to the data keyring');
    const badKey = `k1:${K1.keys.get('k1')!.subarray(0, 16).toString('base64')}`;
    const malformed = await runCli(['rotate-keys', ...target.cliArgs], { env: { ECLIPTIX_DATA_KEYS: badKey } });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('ECLIPTIX_DATA_KEYS: key k1 must be 32 bytes');
    expect(malformed.stderr).not.toContain(badKey.slice(3));

    const help = await runCli(['rotate-keys', '--help']);
    expect(help.code).toBe(0);
    for (const text of [
      'Usage: ecliptix-persistor rotate-keys',
      '--dry-run',
      '--batch-size <rows>',
      '--json',
      'ECLIPTIX_DATA_KEYS',
      'Ctrl-C',
      '0 rows',
    ])
      expect(help.stdout).toContain(text);
  });
});
