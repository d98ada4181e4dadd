/**
 * `import` (#15): a realistic SQL Server history — hundreds of members,
 * numbers under several regions and none, lockouts in force, pending and
 * verified flows, soft-deleted rows — brought over from a staging schema
 * shaped as pgloader makes it, from bcp files and from CSV files, on both
 * engines. Afterwards every member signs in through the memberships client
 * with the same key, the limits and lockouts in force still hold, `verify`
 * passes, and no key or hash was printed or stored as the original held it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/commands/verify.js';
import { importDatabase, type ImportReport } from '../../src/commands/import.js';
import { generateKeyring, keyringToText, type Keyring } from '../../src/client/keyring.js';
import { createMembershipsClient, type MembershipsClient } from '../../src/client/memberships-client.js';
import { devSecretsFileFor } from '../../src/client/open.js';
import type { Queryable } from '../../src/db/database.js';
import { advanceClock, setClockOffset } from '../support/clock.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, freshDatabaseEach } from '../support/databases.js';
import { databaseNow, makeDataset, writeFiles, writeStagingSchema, type Dataset } from './dataset.js';

const DATA_KEYS = generateKeyring('data-2026');
const OTP_KEYS = generateKeyring('otp-2026');
const MEMBERS = 300;

const clientFor = (db: Queryable, dataKeys: Keyring = DATA_KEYS): MembershipsClient =>
  createMembershipsClient({ db, secrets: { otpKeys: OTP_KEYS, dataKeys } });

function table(report: ImportReport, source: string) {
  return report.tables.find((t) => t.source === source)!;
}

/** The report says what became of every row, and the database holds exactly that. */
async function expectImported(db: Queryable, data: Dataset, report: ImportReport): Promise<void> {
  expect(report.status).toBe(report.dryRun ? 'dry-run' : 'imported');
  expect(report.problems).toEqual([]);
  for (const t of report.tables) {
    expect(t.read, t.source).toBe(data.rows[t.source]!.length);
    expect(t.written + t.refused, t.source).toBe(t.read);
  }
  expect(table(report, 'PhoneNumbers').merged).toBe(data.duplicatePhones);
  expect(table(report, 'LoginAttempts').refused).toBe(2);
  const pendingFlows = data.rows.VerificationFlows!.filter((r) => r[3] === 'pending').length;
  expect(pendingFlows).toBeGreaterThan(10);
  expect(table(report, 'VerificationFlows').expired).toBe(pendingFlows);
  const keys = data.rows.Memberships!.filter((r) => r[4] !== null).length;
  expect(report.secureKeys).toEqual({ encrypted: keys, keyId: DATA_KEYS.currentId });
  for (const t of report.tables) for (const note of t.notes) expect(note.reason.length, `${t.table} ${note.kind}`).toBeGreaterThan(10);

  // Every row kept by its UniqueId; one active phone per number.
  const count = async (sql: string) => Number((await db.query<{ n: number }>(sql)).rows[0]!.n);
  expect(await count('select count(*) n from ecliptix.memberships')).toBe(data.rows.Memberships!.length);
  const uids = data.rows.Memberships!.map((r) => r[10] as string);
  expect(await count(`select count(*) n from ecliptix.memberships where unique_id = any('{${uids.join(',')}}'::uuid[])`)).toBe(uids.length);
  for (const [source, table, at] of [
    ['AppDevices', 'app_devices', 7],
    ['PhoneNumbers', 'phone_numbers', 6],
    ['VerificationFlows', 'verification_flows', 11],
    ['OtpRecords', 'otp_records', 11],
  ] as const) {
    const ids = data.rows[source]!.map((r) => r[at] as string);
    expect(await count(`select count(*) n from ecliptix.${table} where unique_id = any('{${ids.join(',')}}'::uuid[])`), table).toBe(
      ids.length,
    );
  }
  const numbers = new Set(data.rows.PhoneNumbers!.filter((r) => r[5] === false).map((r) => r[1]));
  expect(await count('select count(*) n from ecliptix.phone_numbers where not is_deleted')).toBe(numbers.size);
  // Nothing pending, no code that could be checked, no key or hash as the original held it.
  expect(await count("select count(*) n from ecliptix.verification_flows where status = 'pending'")).toBe(0);
  expect(
    await count("select count(*) n from ecliptix.otp_records where is_active or status = 'pending' or otp_hash <> 'imported$unverifiable'"),
  ).toBe(0);
  const stored = (
    await db.query<{ k: string }>("select encode(secure_key, 'hex') k from ecliptix.memberships where secure_key is not null")
  ).rows.map((r) => r.k);
  expect(stored).toHaveLength(keys);
  for (const k of stored)
    expect(
      k.startsWith(`01${Buffer.from([DATA_KEYS.currentId.length]).toString('hex')}${Buffer.from(DATA_KEYS.currentId).toString('hex')}`),
    ).toBe(true);
  const everything = JSON.stringify(
    (
      await db.query(
        'select m.secure_key::text a, o.otp_hash b, o.otp_salt c from ecliptix.memberships m full join ecliptix.otp_records o on false',
      )
    ).rows,
  );
  for (const secret of data.secrets) expect(everything.includes(secret)).toBe(false);
}

/** Every member signs in with the same key; lockouts and limits in force still hold. */
async function expectMembersSignIn(db: Queryable, data: Dataset): Promise<void> {
  const client = clientFor(db);
  // Four failures before the move: the fifth locks the number.
  expect(data.oneFailureFromLockout.length).toBeGreaterThan(3);
  for (const number of data.oneFailureFromLockout) {
    expect((await client.logLoginAttempt({ phoneNumber: number, outcome: 'invalid_passphrase', isSuccess: false })).outcome).toBe('logged');
    expect((await client.login(number)).outcome, number).toBe('locked');
  }
  const locked = data.members.filter((m) => (m.lockedUntil || data.oneFailureFromLockout.includes(m.phoneNumber)) && m.secureKey);
  expect(locked.length).toBeGreaterThan(6);
  let signedIn = 0;
  for (const member of data.members) {
    const login = await client.login(member.phoneNumber);
    if (member.lockedUntil || data.oneFailureFromLockout.includes(member.phoneNumber)) {
      expect(login.outcome, member.phoneNumber).toBe('locked');
      continue;
    }
    if (!member.secureKey) {
      expect(login.outcome, member.phoneNumber).not.toBe('success');
      continue;
    }
    expect(login.outcome, member.phoneNumber).toBe('success');
    if (login.outcome !== 'success') continue;
    expect(login.membershipId).toBe(member.membershipId);
    expect(Buffer.from(login.secureKey).equals(member.secureKey)).toBe(true);
    expect((await client.confirmLogin(member.phoneNumber)).outcome).toBe('confirmed');
    signedIn++;
  }
  expect(signedIn).toBeGreaterThan(MEMBERS * 0.6);
  // Thirty flows in the last hour before the move: no new one.
  for (const number of data.flowLimitReached) {
    const phone = await client.ensurePhoneNumber({ phoneNumber: number });
    const deviceId = (await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() })).deviceId;
    if (!('phoneId' in phone)) throw new Error(phone.outcome);
    expect(
      (await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId: phone.phoneId, purpose: 'login' })).outcome,
      number,
    ).toBe('rate_limit_exceeded');
  }
  // Fifteen failed checks in the last hour before the move: even the right code is refused.
  for (const number of data.otpBudgetSpent) {
    const phone = await client.ensurePhoneNumber({ phoneNumber: number });
    if (!('phoneId' in phone)) throw new Error(phone.outcome);
    const deviceId = (await client.registerDevice({ appInstanceId: randomUUID(), deviceId: randomUUID() })).deviceId;
    const flow = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId: phone.phoneId, purpose: 'login' });
    if (flow.outcome !== 'created') throw new Error(flow.outcome);
    const otp = await client.issueOtp(flow.flow.flowId);
    if (otp.outcome !== 'issued') throw new Error(otp.outcome);
    expect((await client.verifyOtp(flow.flow.flowId, otp.code)).outcome, number).toBe('too_many_failed_checks');
  }

  // When the lockouts end, the locked members sign in with their keys too.
  await advanceClock(db, 61 * 60);
  for (const member of locked) {
    const login = await client.login(member.phoneNumber);
    expect(login.outcome, member.phoneNumber).toBe('success');
    if (login.outcome === 'success') expect(Buffer.from(login.secureKey).equals(member.secureKey!)).toBe(true);
  }
}

describe.each(engines)('import on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it('from a staging schema shaped as pgloader makes it: every member signs in with the same key, lockouts and limits hold, verify passes', async () => {
    const { db } = fresh;
    // The database's clock seven minutes ahead of this process's: the dataset is anchored to the database's.
    await setClockOffset(db, 7 * 60);
    const data = makeDataset({ members: MEMBERS, seed: 1, now: await databaseNow(db) });
    await writeStagingSchema(db, data);

    const dry = await importDatabase({ db, dataKeys: DATA_KEYS, dryRun: true });
    expect(dry.status).toBe('dry-run');
    expect(dry.stagingDropped).toBe(false);
    expect(Number((await db.query<{ n: number }>('select count(*) n from ecliptix.memberships')).rows[0]!.n)).toBe(0);

    const report = await importDatabase({ db, dataKeys: DATA_KEYS });
    await expectImported(db, data, report);
    expect(dry.tables).toEqual(report.tables);
    expect([report.stagingDropped, report.stagingSchemaDropped]).toEqual([true, true]);
    expect((await db.query("select 1 from pg_namespace where nspname = 'ecliptix_import'")).rows).toHaveLength(0);

    const checks = await verify({ db });
    expect(checks.criteria.filter((c) => !c.passed)).toEqual([]);
    await expectMembersSignIn(db, data);
  });

  it('from bcp files through the CLI: the report names what became of each row, no key or hash in any output; a second import is refused', async () => {
    // Its own database, not open here while the CLI runs (the embedded database is one process's at a time).
    const target = await createTestDatabase(engine, { withSchema: true });
    try {
      const opened = await target.open();
      const now = await databaseNow(opened).finally(() => opened.close());
      const data = makeDataset({ members: MEMBERS, seed: 2, now });
      const dir = join(target.workDir, 'bcp');
      await writeFiles(data, dir, { format: 'bcp' });

      const env = { ECLIPTIX_DATA_KEYS: keyringToText(DATA_KEYS) };
      const dry = await runCli([...target.cliArgs, 'import', '--files', dir, '--dry-run', '--json'], { env, timeoutMs: 120_000 });
      expect(dry.stderr).toBe('');
      expect(dry.code).toBe(0);
      const dryReport = JSON.parse(dry.stdout) as ImportReport;
      expect([dryReport.status, dryReport.rowsRead]).toEqual(['dry-run', Object.values(data.rows).reduce((n, r) => n + r.length, 0)]);
      const run = await runCli([...target.cliArgs, 'import', '--files', dir], { env, timeoutMs: 120_000 });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^ORIGINAL\s+ECLIPTIX\s+READ\s+WRITTEN\s+MERGED\s+EXPIRED\s+REFUSED/m);
      expect(run.stdout).toMatch(/^PhoneNumbers\s+phone_numbers\s+\d+\s+\d+\s+\d+/m);
      expect(run.stdout).toContain('phone_numbers: ');
      expect(run.stdout).toContain('one identity per E.164 number');
      expect(run.stdout).toContain('login_attempts: 2 refused — the phone number is not E.164');
      expect(run.stdout).toMatch(/done: \d+ of \d+ row\(s\) imported/);
      const again = await runCli([...target.cliArgs, 'import', '--files', dir, '--json'], { env, timeoutMs: 120_000 });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(
        /^error: the target database already holds data \(\d+ membership\(s\)\): import into a freshly migrated database, or pass --merge/,
      );
      for (const output of [dry, run, again]) {
        const text = output.stdout + output.stderr;
        for (const secret of data.secrets) expect(text.includes(secret)).toBe(false);
        for (const member of data.members.filter((m) => m.secureKey))
          expect(text.includes(member.secureKey!.toString('hex').toUpperCase())).toBe(false);
      }

      const reopened = await target.open();
      try {
        await expectMembersSignIn(reopened, data);
      } finally {
        await reopened.close();
      }
    } finally {
      await target.drop();
    }
  });

  it("from pgloader's default naming (downcase identifiers) under another schema name, kept with --keep-staging", async () => {
    const { db } = fresh;
    const data = makeDataset({ members: 40, seed: 4, now: await databaseNow(db) });
    await writeStagingSchema(db, data, 'legacy', { naming: 'downcase' });
    expect(
      (
        await db.query(
          "select 1 from information_schema.columns where table_schema = 'legacy' and table_name = 'phonenumberdevices' and column_name = 'appdeviceid'",
        )
      ).rows,
    ).toHaveLength(1);
    const report = await importDatabase({ db, dataKeys: DATA_KEYS, source: { schema: 'legacy' }, keepStaging: true });
    expect(report.status).toBe('imported');
    expect([report.stagingDropped, report.stagingSchemaDropped]).toEqual([false, false]);
    expect(report.tables.map((t) => t.read)).toEqual(report.tables.map((t) => data.rows[t.source]!.length));
    expect((await db.query("select 1 from pg_namespace where nspname = 'legacy'")).rows).toHaveLength(1);
    const member = data.members.find((m) => m.secureKey && !m.lockedUntil)!;
    const login = await clientFor(db).login(member.phoneNumber);
    expect(login.outcome === 'success' && Buffer.from(login.secureKey).equals(member.secureKey!)).toBe(true);
  });

  it('a committed import drops only the staging tables it read: a staging schema holding anything else keeps it; public and ecliptix are refused', async () => {
    const { db } = fresh;
    const data = makeDataset({ members: 20, seed: 5, now: await databaseNow(db) });
    await writeStagingSchema(db, data);
    await db.exec("create table ecliptix_import.operator_notes (note text); insert into ecliptix_import.operator_notes values ('keep me')");
    await db.exec("create table public.app_devices (kept text); insert into public.app_devices values ('mine')");
    for (const schema of ['public', 'ecliptix', 'ecliptix_internal', 'persistor', 'pg_catalog', 'information_schema']) {
      await expect(importDatabase({ db, dataKeys: DATA_KEYS, source: { schema } }), schema).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(`--schema ${schema} is not a staging schema`),
      });
    }
    expect((await db.query('select kept from public.app_devices')).rows).toEqual([{ kept: 'mine' }]);

    const report = await importDatabase({ db, dataKeys: DATA_KEYS });
    expect(report.status).toBe('imported');
    expect([report.stagingDropped, report.stagingSchemaDropped]).toEqual([true, false]);
    expect(
      (
        await db.query(
          "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'ecliptix_import' and c.relkind = 'r'",
        )
      ).rows,
    ).toEqual([{ relname: 'operator_notes' }]);
    expect((await db.query('select note from ecliptix_import.operator_notes')).rows).toEqual([{ note: 'keep me' }]);
    expect((await db.query('select kept from public.app_devices')).rows).toEqual([{ kept: 'mine' }]);
  });

  it('into a database the caller opened, without dataKeys: refused (exit 2), no development keys made for it', async () => {
    const { db, target } = fresh;
    const dataDir = join(target.workDir, 'elsewhere', 'data');
    await expect(importDatabase({ db, env: {}, dataDir })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('pass dataKeys'),
    });
    expect(existsSync(devSecretsFileFor(dataDir))).toBe(false);
    expect(existsSync(join(target.workDir, 'elsewhere'))).toBe(false);
  });

  it('an outcome that only looks like LOCKED_UNTIL: (another character for its _) is an ordinary outcome, kept as it is', async () => {
    const { db } = fresh;
    const data = makeDataset({ members: 20, seed: 6, now: await databaseNow(db) });
    await writeStagingSchema(db, data);
    const row = data.rows.LoginAttempts!.find((r) => /^\+[1-9]\d{6,14}$/.test(String(r[2])) && r[4] === false)!;
    await db.query("update ecliptix_import.login_attempts set outcome = 'LOCKED-UNTIL:soon' where id = $1", [row[0]]);
    const report = await importDatabase({ db, dataKeys: DATA_KEYS });
    expect(report.problems).toEqual([]);
    expect(report.status).toBe('imported');
    expect((await db.query("select outcome, locked_until from ecliptix.login_attempts where outcome like 'LOCKED%UNTIL%'")).rows).toEqual([
      { outcome: 'LOCKED-UNTIL:soon', locked_until: null },
    ]);
  });

  it('in a session whose time zone is not UTC: DATETIME2 values (and a staged timestamptz) are stored as the same UTC instants, lockouts until the same instant', async () => {
    const { target } = fresh;
    let db = fresh.db;
    let own: typeof db | undefined;
    if (engine === 'postgres') {
      // Every new connection of the database in Asia/Kolkata (+05:30): a pool opened after the change.
      const name = (await db.query<{ name: string }>('select current_database() as name')).rows[0]!.name;
      await db.exec(`alter database "${name}" set timezone = 'Asia/Kolkata'`);
      db = own = await target.open();
    } else {
      await db.exec("set time zone 'Asia/Kolkata'");
    }
    try {
      expect((await db.query<{ tz: string }>("select current_setting('TimeZone') as tz")).rows[0]!.tz).toBe('Asia/Kolkata');
      const data = makeDataset({ members: 30, seed: 8, now: await databaseNow(db) });
      await writeStagingSchema(db, data);
      // pgloader without the README's CAST rules would make DATETIME2 a timestamptz (the instant as UTC).
      await db.exec("alter table ecliptix_import.memberships alter column created_at type timestamptz using created_at at time zone 'UTC'");
      const report = await importDatabase({ db, dataKeys: DATA_KEYS });
      expect(report.status).toBe('imported');

      const ms = (datetime2: string) => Date.parse(`${datetime2.slice(0, 10)}T${datetime2.slice(11, 23)}Z`);
      const epoch = async (sql: string, params: unknown[]) => (await db.query<{ ms: number }>(sql, params)).rows.map((r) => Number(r.ms));
      for (const row of data.rows.Memberships!.slice(0, 5)) {
        const [stored] = await epoch('select extract(epoch from created_at) * 1000 as ms from ecliptix.memberships where unique_id = $1', [
          row[10],
        ]);
        expect(Math.abs(stored! - ms(row[7] as string)), String(row[7])).toBeLessThan(1);
      }
      const lockouts = data.rows.LoginAttempts!.filter(
        (r) => String(r[3]).startsWith('LOCKED_UNTIL:') && /^\+[1-9]\d{6,14}$/.test(String(r[2])),
      );
      expect(lockouts.length).toBeGreaterThan(3);
      for (const row of lockouts.slice(0, 5)) {
        const until = ms(String(row[3]).slice('LOCKED_UNTIL:'.length));
        const stored = await epoch(
          "select extract(epoch from locked_until) * 1000 as ms from ecliptix.login_attempts where phone_number = $1 and outcome = 'imported_lockout'",
          [row[2]],
        );
        expect(
          stored.some((s) => Math.abs(s - until) < 1),
          `${row[2]} ${row[3]}`,
        ).toBe(true);
        const [at] = await epoch(
          'select extract(epoch from attempted_at) * 1000 as ms from ecliptix.login_attempts where phone_number = $1 and abs(extract(epoch from locked_until) * 1000 - $2) < 1',
          [row[2], until],
        );
        expect(Math.abs(at! - ms(row[1] as string))).toBeLessThan(1);
      }
    } finally {
      await own?.close();
    }
  });

  it('from CSV files with a header: the JSON report, then every member signs in', async () => {
    const { db, target } = fresh;
    const data = makeDataset({ members: MEMBERS, seed: 3, now: await databaseNow(db) });
    const dir = join(target.workDir, 'csv');
    await writeFiles(data, dir, { format: 'csv' });
    const report = await importDatabase({ db, dataKeys: DATA_KEYS, source: { directory: dir } });
    await expectImported(db, data, report);
    expect(report.source).toEqual({
      kind: 'files',
      directory: dir,
      files: expect.arrayContaining([
        { table: 'Memberships', file: 'Memberships.csv', format: 'csv', rows: data.rows.Memberships!.length },
      ]),
    });
    await expectMembersSignIn(db, data);
  });
});
