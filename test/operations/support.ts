/** Helpers for the operations suites: what a database holds, to compare before and after. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Queryable } from '../../src/db/database.js';
import { TABLE_NAMES } from '../../src/schema/manifest.js';
import { cliPath } from '../support/cli.js';

/** Row count and a digest of every row of each of the 10 tables (catches updates as well as inserts and deletes). */
export async function tableDigests(db: Queryable): Promise<Record<string, string>> {
  const sql = TABLE_NAMES.map(
    (t) => `SELECT '${t}' AS t, count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS s FROM ecliptix.${t} x`,
  ).join(' UNION ALL ');
  const rows = (await db.query<{ t: string; s: string }>(sql)).rows;
  return Object.fromEntries(rows.map((r) => [r.t, r.s]));
}

/** Every row of every table of the given schemas, as text, in a stable order (for exact before/after comparisons). */
export async function dumpSchemas(db: Queryable, schemas: readonly string[] = ['ecliptix', 'ecliptix_internal', 'persistor']): Promise<Record<string, string[]>> {
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

/** The built CLI as a child process that the test can signal. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcessWithoutNullStreams; done: Promise<{ code: number; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
  return { child, done };
}
