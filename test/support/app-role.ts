/**
 * Least-privilege roles on a test database, and a way to run code as the
 * application role: a real LOGIN user granted the role on the server, SET ROLE
 * on PGlite's single session. Role names are unique per call (roles are
 * cluster-wide on a server); `drop()` removes them after the database is gone.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database, Queryable } from '../../src/db/database.js';
import { applyRoles, type RoleNames } from '../../src/schema/roles.js';
import type { TestDatabase } from './databases.js';

export interface AppRole {
  names: RoleNames;
  /** Server only: a URL that logs in as a user with the application role (for a connection of one's own). */
  loginUrl?: string;
  /** Runs `work` with a connection (or session) that has the application role's rights only. */
  as<T>(work: (db: Queryable) => Promise<T>, options?: { maxConnections?: number }): Promise<T>;
  /**
   * Runs `work` (on the admin connection) with the admin's own rights, also
   * while inside `as`: PGlite's single session is SET ROLE to the application
   * role there, so it is reset for `work` and set again after it.
   */
  asAdmin<T>(work: () => Promise<T>): Promise<T>;
  /** Drops the login and the roles; call after the database was dropped. */
  drop(): Promise<void>;
}

export async function setUpAppRole(target: TestDatabase, admin: Database): Promise<AppRole> {
  const suffix = randomBytes(4).toString('hex');
  const names: RoleNames = { owner: `ecx_owner_${suffix}`, app: `ecx_app_${suffix}`, reporting: `ecx_rep_${suffix}` };
  const login = `ecx_app_login_${suffix}`;
  await applyRoles(admin, names);
  let loginUrl: string | undefined;
  let insideAs = false;
  if (target.engine === 'postgres') {
    await admin.exec(`CREATE ROLE ${login} LOGIN IN ROLE ${names.app}`);
    const url = new URL(target.config.databaseUrl!);
    url.username = login;
    loginUrl = url.toString();
  }

  return {
    names,
    ...(loginUrl ? { loginUrl } : {}),
    async as(work, options = {}) {
      if (loginUrl) {
        const pool = new pg.Pool({ connectionString: loginUrl, max: options.maxConnections ?? 4 });
        pool.on('error', () => undefined);
        try {
          return await work({
            query: async (sql, params = []) => {
              const r = await pool.query(sql, [...params]);
              return { rows: r.rows, rowCount: r.rowCount ?? 0 };
            },
            exec: async (script) => {
              await pool.query(script);
            },
          });
        } finally {
          await pool.end();
        }
      }
      await admin.exec(`SET ROLE ${names.app}`);
      insideAs = true;
      try {
        return await work(admin);
      } finally {
        insideAs = false;
        await admin.exec('RESET ROLE');
      }
    },
    async asAdmin(work) {
      if (!insideAs) return work();
      await admin.exec('RESET ROLE');
      try {
        return await work();
      } finally {
        await admin.exec(`SET ROLE ${names.app}`);
      }
    },
    async drop() {
      if (target.engine !== 'postgres') return;
      const client = new pg.Client({ connectionString: inject('adminUrl') });
      await client.connect();
      try {
        for (const role of [login, names.app, names.reporting, names.owner]) await client.query(`DROP ROLE IF EXISTS ${role}`);
      } finally {
        await client.end();
      }
    },
  };
}
