/**
 * Growth by moving a partition database to another server (issue 11), the
 * steps of docs/SCALE-OUT.md "Moving a partition", on real servers only
 * (PGlite cannot host PL/Proxy): members on both partitions of a cluster sign
 * in; partition 1 is closed to the proxy's login (REVOKE CONNECT), dumped
 * (pg_dump --format=custom) and restored into a database on a second
 * instance (its roles created there first); the cluster is deployed again with
 * the new URL at index 1 (its identity came along, so it is confirmed; the
 * proxy's definition changes); every member still signs in and gets their
 * key, and the sign-ins after the move are written to the new database only.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deployCluster } from '../../src/cluster/deploy.js';
import { partitionOf, phoneHash } from '../../src/cluster/hash.js';
import type { Database } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
import { applyRoles, type RoleNames } from '../../src/schema/roles.js';
import { createPostgresDatabase, dropPostgresDatabase, uniqueDatabaseName } from '../support/postgres-admin.js';
import { postgresBin, type ThrowawayServer } from '../support/postgres-server.js';
import { startSecondInstance, withDb } from './support.js';
import { idIn, type Row } from './transcript.js';

describe('moving a partition to another server (postgres + PL/Proxy)', () => {
  const adminUrl = inject('adminUrl');
  const base = uniqueDatabaseName('persistor_cluster');
  let second: ThrowawayServer;
  let proxy: Database;
  let config: { proxy: string; partitions: string[] };
  const suffix = randomBytes(4).toString('hex');
  const names: RoleNames = { owner: `ecx_owner_${suffix}`, app: `ecx_app_${suffix}`, reporting: `ecx_rep_${suffix}` };
  const login = `ecx_proxy_${suffix}`;

  beforeAll(async () => {
    second = await startSecondInstance();
    config = {
      proxy: await createPostgresDatabase(adminUrl, `${base}_proxy`),
      partitions: [
        await createPostgresDatabase(adminUrl, `${base}_p0`, inject('postgresSchemaTemplate')),
        await createPostgresDatabase(adminUrl, `${base}_p1`, inject('postgresSchemaTemplate')),
      ],
    };
    // The proxy reaches the partitions as an application login (not a superuser), so closing a partition to it works.
    for (const url of config.partitions)
      await withDb(openPostgres({ databaseUrl: url, connectTimeoutMs: 10_000 }), (db) => applyRoles(db, names));
    await withDb(openPostgres({ databaseUrl: adminUrl, connectTimeoutMs: 10_000 }), (db) =>
      db.exec(`CREATE ROLE ${login} LOGIN IN ROLE ${names.app}`),
    );
    await deployCluster({ ...config, proxyLogin: { user: login } }, { lockTimeoutMs: 30_000 });
    proxy = await openPostgres({ databaseUrl: config.proxy, connectTimeoutMs: 10_000, maxConnections: 2 });
  });
  afterAll(async () => {
    await proxy?.close();
    for (const suffix of ['proxy', 'p0', 'p1']) await dropPostgresDatabase(adminUrl, `${base}_${suffix}`);
    await second?.stop();
    await withDb(openPostgres({ databaseUrl: adminUrl, connectTimeoutMs: 10_000 }), (db) =>
      db.exec([login, names.app, names.reporting, names.owner].map((role) => `DROP ROLE IF EXISTS ${role};`).join(' ')),
    );
  });

  const one = async (routine: string, ...args: unknown[]): Promise<Row> => {
    const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
    const { rows } = await proxy.query<Row>(`SELECT * FROM ecliptix.${routine}(${placeholders})`, args);
    return rows[0]!;
  };
  const loginRows = (url: string) =>
    withDb(
      openPostgres({ databaseUrl: url, connectTimeoutMs: 10_000, maxConnections: 1 }),
      async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ecliptix.login_attempts')).rows[0]!.n,
    );

  /** A member with a secure key: device, phone, verified registration flow, membership, key. */
  async function member(phone: string): Promise<Buffer> {
    const device = idIn(await one('register_app_device_if_not_exists', randomUUID(), randomUUID(), 1), /device/);
    const phoneId = idIn(await one('ensure_phone_number', phone, 'US', device), /phone/);
    const flow = idIn(await one('initiate_verification_flow', device, phoneId, 'registration', null), /^flow/);
    const otp = idIn(await one('insert_otp_record', flow, 'aGFzaA==', 'c2FsdA==', new Date(Date.now() + 300_000), 'pending'), /otp/);
    await one('update_otp_status', otp, 'verified');
    const membership = idIn(await one('create_membership', flow, null, otp, 'otp_verified'), /membership/);
    const key = Buffer.from(`key of ${phone}`);
    await one('update_membership_secure_key', membership, key, flow);
    return key;
  }

  /** Signs in (key released, then confirmed) and says whether the released key is the member's. */
  async function signsIn(phone: string, key: Buffer): Promise<boolean> {
    const login = await one('login_membership', phone);
    const released = login.secure_key ? Buffer.from(login.secure_key as Uint8Array).equals(key) : false;
    await one('log_login_attempt', phone, 'signed_in', true);
    return released;
  }

  it('moves partition 1 with pg_dump / pg_restore and a re-deployment; every member still signs in', async () => {
    const members = new Map<string, Buffer>();
    for (let i = 0; members.size < 6; i++) {
      const phone = `+1202555${String(7000 + i).padStart(4, '0')}`;
      members.set(phone, await member(phone));
    }
    expect(new Set([...members.keys()].map((phone) => partitionOf(phoneHash(phone), 2))).size).toBe(2);
    for (const [phone, key] of members) expect(await signsIn(phone, key), phone).toBe(true);

    // 1. Close the old partition to the proxy's login: calls for its phones fail (as when it is down) until the switch.
    const oldUrl = config.partitions[1]!;
    await withDb(openPostgres({ databaseUrl: adminUrl, connectTimeoutMs: 10_000 }), (db) =>
      db.exec(
        `REVOKE CONNECT ON DATABASE "${base}_p1" FROM PUBLIC;
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${base}_p1' AND usename = '${login}';`,
      ),
    );
    const closed = await one(
      'login_membership',
      [...members.keys()].find((phone) => partitionOf(phoneHash(phone), 2) === 1)!,
    ).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(closed).toContain(`[${base}_p1]`);
    // 2. The roles on the new server (they are the server's, not the database's), then dump and restore.
    await withDb(openPostgres({ databaseUrl: second.adminUrl, connectTimeoutMs: 10_000 }), (db) =>
      db.exec(
        `CREATE ROLE ${names.owner} NOLOGIN; CREATE ROLE ${names.app} NOLOGIN; CREATE ROLE ${names.reporting} NOLOGIN;
         CREATE ROLE ${login} LOGIN IN ROLE ${names.app};`,
      ),
    );
    const newUrl = await createPostgresDatabase(second.adminUrl, `${base}_p1`);
    const dumpFile = join(tmpdir(), `${base}_p1.dump`);
    const bin = postgresBin();
    try {
      execFileSync(join(bin, 'pg_dump'), ['--format=custom', '--file', dumpFile, oldUrl]);
      execFileSync(join(bin, 'pg_restore'), ['--exit-on-error', '--dbname', newUrl, dumpFile]);
    } finally {
      rmSync(dumpFile, { force: true });
    }
    // 3. Deploy again with the new URL at index 1: its identity is confirmed, the proxy now reaches the new server.
    const moved = { ...config, partitions: [config.partitions[0]!, newUrl] };
    const deployment = await deployCluster({ ...moved, proxyLogin: { user: login } }, { lockTimeoutMs: 30_000 });
    expect(deployment.partitions.map((p) => [p.identity, p.migrationsApplied, p.generated])).toEqual([
      ['confirmed', 0, 'unchanged'],
      ['confirmed', 0, 'unchanged'],
    ]);
    expect(deployment.proxy.generated).toBe('applied');

    // 4. Every member signs in, through the same proxy connections as before; the new sign-ins are on the new server.
    const before = await loginRows(newUrl);
    for (const [phone, key] of members) expect(await signsIn(phone, key), phone).toBe(true);
    const movedMembers = [...members.keys()].filter((phone) => partitionOf(phoneHash(phone), 2) === 1).length;
    expect(await loginRows(newUrl)).toBeGreaterThanOrEqual(before + movedMembers);
  });
});
