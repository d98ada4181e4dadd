/**
 * What one journey costs the server in durable commits and WAL (issue 14),
 * measured on a throw-away PostgreSQL instance of the benchmark's own (initdb
 * in a temporary directory, the server's binaries and default settings,
 * autovacuum off), so that nothing else's WAL is counted: on a shared server
 * a concurrent test run once made the same reading 120 times larger.
 *
 * After a checkpoint, a fixed number of journeys, one client, one after
 * another, between two readings of the instance's transaction-id counter and
 * WAL position. A transaction that writes gets a transaction id and flushes
 * WAL at commit; a read-only one gets neither, so the ids used per journey are
 * its durable commits. The WAL includes the full-page images a checkpoint
 * brings, as in the minutes after every checkpoint.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../src/index.js';
import { BENCH_SETTINGS_SQL, openServerClient, runJourney, warmUp } from './journey.js';
import { pgBin, phoneFor, round, tempDir } from './support.js';

export interface JourneyCost {
  journeys: number;
  /** Transactions that wrote (got a transaction id), per journey. */
  durableCommitsPerJourney: number;
  /** pg_current_wal_lsn() advance per journey, in bytes. */
  walBytesPerJourney: number;
  /** Where it was measured, e.g. `a throw-away PostgreSQL 15.20 instance (initdb defaults, autovacuum off)`. */
  measuredOn?: string;
}

interface Reading {
  xid: bigint;
  lsn: string;
}

async function read(db: pg.Client): Promise<Reading> {
  // pg_current_xact_id() gives this statement's own transaction an id: the delta counts the second reading's once.
  const { rows } = await db.query<{ xid: string; lsn: string }>(
    'SELECT pg_current_xact_id()::text AS xid, pg_current_wal_lsn()::text AS lsn',
  );
  return { xid: BigInt(rows[0]!.xid), lsn: rows[0]!.lsn };
}

/** Starts a throw-away instance (as the postgres user when this process is root: initdb refuses root). */
function startInstance(): { url: string; stop(): void } {
  const dir = tempDir('journey-cost');
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = 40000 + Math.floor(Math.random() * 10000);
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const run = (command: string, args: string[]) => {
    const [program, ...rest] = [...asUser, join(pgBin, command), ...args];
    const result = spawnSync(program!, rest, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${(result.stderr || result.stdout).trim()}`);
  };
  const stop = () => {
    process.removeListener('exit', stop);
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c autovacuum=off`;
    run('pg_ctl', ['-D', data, '-o', options, '-w', '-l', join(dir, 'log'), 'start']);
  } catch (error) {
    stop();
    throw error;
  }
  process.once('exit', stop);
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
}

/** Deploys the schema on a throw-away instance and returns what each of `journeys` journeys cost it. */
export async function measureJourneyCost(journeys: number): Promise<JourneyCost> {
  const instance = startInstance();
  try {
    await migrate({ databaseUrl: instance.url });
    const db = new pg.Client({ connectionString: instance.url, application_name: 'ecliptix-persistor bench cost' });
    await db.connect();
    const client = await openServerClient(instance.url, 1);
    try {
      await db.query(BENCH_SETTINGS_SQL);
      await warmUp(client, 1, 96);
      const version = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
      await db.query('CHECKPOINT');
      const before = await read(db);
      for (let i = 0; i < journeys; i++) {
        const result = await runJourney(client, phoneFor(95, i));
        if (!result.ok) throw new Error(`journey ${i} of the cost measurement failed at ${result.outcome}`);
      }
      const after = await read(db);
      const { rows } = await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text AS bytes', [
        after.lsn,
        before.lsn,
      ]);
      return {
        journeys,
        durableCommitsPerJourney: round(Number(after.xid - before.xid - 1n) / journeys, 2),
        walBytesPerJourney: Math.round(Number(rows[0]!.bytes) / journeys),
        measuredOn: `a throw-away PostgreSQL ${version} instance (initdb defaults, autovacuum off)`,
      };
    } finally {
      await client.close();
      await db.end();
    }
  } finally {
    instance.stop();
  }
}
