/**
 * Least privilege on a cluster (issue 11), on the real server only: PGlite
 * cannot host PL/Proxy. With `roles` set up on the partitions, the proxy
 * reaches them as a login of the application role (proxyLogin), and a login
 * of the application role on the proxy may EXECUTE the routines (and read the
 * clock) and nothing else: not the routing functions, not the device hops,
 * not the deployment's tables.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deployCluster } from '../../src/cluster/deploy.js';
import { openPostgres } from '../../src/db/postgres.js';
import { APPLICATION_ROUTINES } from '../../src/schema/manifest.js';
import { applyRoles, type RoleNames } from '../../src/schema/roles.js';
import { createTestCluster, withDb, type TestCluster } from './support.js';
import { idIn } from './transcript.js';

describe('roles on a cluster (postgres + PL/Proxy)', () => {
  const suffix = randomBytes(4).toString('hex');
  const names: RoleNames = { owner: `ecx_owner_${suffix}`, app: `ecx_app_${suffix}`, reporting: `ecx_rep_${suffix}` };
  const login = `ecx_app_login_${suffix}`;
  let cluster: TestCluster;
  let app: pg.Client;

  beforeAll(async () => {
    cluster = await createTestCluster(2, { fromSchemaTemplate: true });
    for (let i = 0; i < 2; i++) await withDb(cluster.openPartition(i), (db) => applyRoles(db, names));
    await withDb(cluster.openPartition(0), (db) => db.exec(`CREATE ROLE ${login} LOGIN IN ROLE ${names.app}`));
    await deployCluster({ ...cluster.config, proxyLogin: { user: login } }, { lockTimeoutMs: 30_000 });
    const url = new URL(cluster.config.proxy);
    url.username = login;
    app = new pg.Client({ connectionString: url.toString() });
    await app.connect();
  });
  afterAll(async () => {
    await app?.end();
    await cluster?.drop();
    // Roles are the server's, not a database's: dropped once the databases that used them are gone.
    await withDb(openPostgres({ databaseUrl: inject('adminUrl'), connectTimeoutMs: 10_000 }), (db) =>
      db.exec([login, names.app, names.reporting, names.owner].map((role) => `DROP ROLE IF EXISTS ${role};`).join(' ')),
    );
  });

  const sqlState = async (sql: string, params: unknown[] = []) =>
    app.query(sql, params).then(
      () => 'ok',
      (error: { code?: string }) => error.code,
    );

  it('lets the application role run the routines through the proxy, as a login of the application role on the partitions', async () => {
    const device = idIn(
      (await app.query('SELECT * FROM ecliptix.register_app_device_if_not_exists($1, $2, 1)', [randomUUID(), randomUUID()])).rows[0],
      /device/,
    );
    const phone = idIn(
      (await app.query('SELECT * FROM ecliptix.ensure_phone_number($1, $2, $3)', ['+12025550188', 'US', device])).rows[0],
      /phone/,
    );
    const flow = (await app.query('SELECT * FROM ecliptix.initiate_verification_flow($1, $2, $3, NULL)', [device, phone, 'registration']))
      .rows[0];
    expect(idIn(flow, /^flow/)).toBeTruthy();
    expect(await sqlState('SELECT ecliptix_internal.now()')).toBe('ok');
  });

  it('gives the application role nothing else on the proxy', async () => {
    expect(await sqlState('SELECT ecliptix_route.app_device_row($1)', [randomUUID()])).toBe('42501');
    expect(await sqlState('SELECT ecliptix_route.phone_hash($1)', ['+12025550188'])).toBe('42501');
    expect(await sqlState('SELECT * FROM ecliptix_route.generated')).toBe('42501');
    expect(await sqlState('CREATE FUNCTION ecliptix.mine() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$')).toBe('42501');
    const { rows } = await app.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_proc p WHERE p.pronamespace = 'ecliptix'::regnamespace AND has_function_privilege(p.oid, 'EXECUTE')`,
    );
    expect(rows[0]!.n).toBe(APPLICATION_ROUTINES.length);
    // The partitions' support belongs to the owner role, like the rest of the schema.
    await withDb(cluster.openPartition(1), async (db) => {
      const owners = await db.query<{ owner: string }>(
        `SELECT DISTINCT pg_get_userbyid(proowner) AS owner FROM pg_proc WHERE pronamespace = 'ecliptix_partition'::regnamespace`,
      );
      expect(owners.rows).toEqual([{ owner: names.owner }]);
    });
  });
});
