/**
 * `maintain`: the plan names what health would flag — a leftover of an
 * interrupted REINDEX CONCURRENTLY, an invalid index, a bloated index, a
 * table with stale statistics — and `--apply` clears each one; a reindex
 * that waits past its lock timeout gives up, and its half-built index is
 * dropped; Ctrl-C cancels the running statement and leaves nothing behind;
 * and on the server, sign-ups keep going while it rebuilds an index of the
 * table they write.
 */
import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import { health } from '../../src/commands/health.js';
import { maintain } from '../../src/commands/maintain.js';
import { bulkLoadSql } from '../schema-concurrency/bulk-data.js';
import { createMembershipsClient } from '../../src/client/memberships-client.js';
import { generateKeyring } from '../../src/client/keyring.js';
import { nextUsPhone, verifiedClientFlow } from '../client/client-harness.js';
import { runCli, spawnCli } from '../support/cli.js';
import { createTestDatabase, engines, withOpenDatabase } from '../support/databases.js';

/** Thresholds that judge small indexes: the test's tables are megabytes, not gigabytes. */
const THRESHOLDS = { 'index-bloat': { warn: 50, min: 1 }, 'stale-statistics': { warn: 20, min: 1000 } };
const THRESHOLD_FLAGS = ['--threshold', 'index-bloat.warn=50', '--threshold', 'index-bloat.min=1'];

/**
 * event_log with 100,000 rows of which 90 % are deleted and vacuumed (its
 * indexes keep their pages: bloated), then 5,000 more rows since the last
 * ANALYZE (stale statistics, autovacuum off for the table); an index marked
 * invalid, and a leftover of an interrupted REINDEX CONCURRENTLY.
 */
async function degrade(db: Queryable & { exec(sql: string): Promise<void> }): Promise<void> {
  // One statement per call: a script of several is one implicit transaction, and VACUUM cannot run in one.
  for (const statement of [
    'ALTER TABLE ecliptix.event_log SET (autovacuum_enabled = false)',
    `INSERT INTO ecliptix.event_log (event_type, message, created_at)
     SELECT 'maintain_test', 'row ' || g, now() - make_interval(secs => g) FROM generate_series(1, 100000) g`,
    'DELETE FROM ecliptix.event_log WHERE id % 10 <> 0',
    'VACUUM ecliptix.event_log',
    'ANALYZE ecliptix.event_log',
    `INSERT INTO ecliptix.event_log (event_type, message, created_at)
     SELECT 'maintain_test', 'later ' || g, now() FROM generate_series(1, 5000) g`,
    'CREATE INDEX ix_event_log_maintain_test ON ecliptix.event_log (event_type)',
    "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ecliptix.ix_event_log_maintain_test'::regclass",
    'CREATE INDEX ix_event_log_created_at_ccnew ON ecliptix.event_log (created_at)',
    "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ecliptix.ix_event_log_created_at_ccnew'::regclass",
    'SELECT pg_stat_force_next_flush()',
  ])
    await db.exec(statement);
}

describe.each(engines)('maintain on %s', (engine) => {
  it('plans a step for each problem, applies them one at a time, and a second plan is empty of them', async () => {
    const target = await createTestDatabase(engine, { withSchema: true });
    try {
      await withOpenDatabase(target, degrade);
      // health flags each problem (the checks maintain answers)…
      const levels = async () =>
        Object.fromEntries(
          (await health({ ...target.config, snapshot: false, thresholds: THRESHOLDS })).findings
            .filter((f) => ['invalid-indexes', 'reindex-leftovers', 'index-bloat'].includes(f.check))
            .map((f) => [`${f.check} ${f.subject}`, f.level]),
        );
      expect(await levels()).toMatchObject({
        'invalid-indexes ecliptix.ix_event_log_maintain_test': 'CRIT',
        'reindex-leftovers ecliptix.ix_event_log_created_at_ccnew': 'WARN',
        'index-bloat ecliptix.ix_event_log_created_at': expect.stringMatching(/^(WARN|CRIT)$/),
      });
      const plan = await maintain({ ...target.config, thresholds: THRESHOLDS });
      expect(plan.applied).toBe(false);
      const named = plan.steps.map((s) => `${s.kind} ${s.schema}.${s.name}`);
      expect(named).toEqual(
        expect.arrayContaining([
          'drop-leftover ecliptix.ix_event_log_created_at_ccnew',
          'reindex ecliptix.ix_event_log_maintain_test',
          'reindex ecliptix.ix_event_log_created_at',
          // PGlite keeps no count of the rows modified since the last ANALYZE (n_mod_since_analyze stays 0).
          ...(engine === 'postgres' ? ['analyze ecliptix.event_log'] : []),
        ]),
      );
      // Leftovers first, then the invalid index, then the bloated ones, then ANALYZE.
      const order = ['drop-leftover', 'reindex', 'analyze'];
      expect(plan.steps.map((s) => order.indexOf(s.kind))).toEqual([...plan.steps.map((s) => order.indexOf(s.kind))].sort());
      expect(plan.steps.find((s) => s.name === 'ix_event_log_created_at')!.reason).toMatch(/^bloated: an estimated \d+ %/);
      expect(plan.steps.find((s) => s.name === 'ix_event_log_created_at')!.statement).toBe(
        'REINDEX INDEX CONCURRENTLY ecliptix.ix_event_log_created_at',
      );

      const applied = await maintain({ ...target.config, thresholds: THRESHOLDS, apply: true });
      expect(applied.results.map((r) => [r.step.name, r.outcome, r.error])).toEqual(plan.steps.map((s) => [s.name, 'done', undefined]));

      await withOpenDatabase(target, async (db) => {
        await db.query('SELECT pg_stat_force_next_flush()');
        const indexes = await db.query<{ name: string; valid: boolean }>(
          `SELECT c.relname AS name, x.indisvalid AS valid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
            WHERE x.indrelid = 'ecliptix.event_log'::regclass ORDER BY 1`,
        );
        expect(indexes.rows).toEqual([
          { name: 'event_log_pkey', valid: true },
          { name: 'ix_event_log_created_at', valid: true },
          { name: 'ix_event_log_maintain_test', valid: true },
        ]);
      });
      // …and every one of those findings is OK after maintain --apply.
      expect(Object.entries(await levels()).filter(([, level]) => level !== 'OK')).toEqual([]);
      const after = await maintain({ ...target.config, thresholds: THRESHOLDS });
      expect(after.steps.filter((s) => s.table === 'event_log')).toEqual([]);
    } finally {
      await target.drop();
    }
  });
});

describe('maintain on the command line (server)', () => {
  it('a reindex that waits past --lock-wait gives up, its half-built index dropped, and the other steps still run (exit 1)', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      await withOpenDatabase(target, degrade);
      const plan = await runCli([...target.cliArgs, 'maintain', ...THRESHOLD_FLAGS]);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain('run with --apply to carry it out');
      expect(plan.stdout).toContain('REINDEX INDEX CONCURRENTLY ecliptix.ix_event_log_created_at');

      await withOpenDatabase(target, async (db) => {
        // A transaction with a snapshot older than the reindex: REINDEX CONCURRENTLY waits for it (a lock wait) after
        // building its new index — and gives up after --lock-wait, leaving an invalid *_ccnew index behind.
        await db.withSession(async (session) => {
          await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
          await session.query('SELECT count(*) FROM ecliptix.app_devices');
          try {
            const run = await runCli([...target.cliArgs, 'maintain', '--apply', '--lock-wait', '1000', '--json', ...THRESHOLD_FLAGS]);
            expect(run.code).toBe(1);
            const report = JSON.parse(run.stdout) as {
              results: { step: { kind: string; name: string }; outcome: string; error?: string; droppedLeftovers?: string[] }[];
            };
            const reindexes = report.results.filter((r) => r.step.kind === 'reindex');
            expect(reindexes.length).toBeGreaterThan(0);
            for (const r of reindexes) {
              expect(r.outcome).toBe('failed');
              expect(r.error).toContain('lock timeout');
            }
            expect(reindexes.some((r) => (r.droppedLeftovers ?? []).length > 0)).toBe(true);
            // Steps that need no wait for old snapshots still ran.
            expect(report.results.find((r) => r.step.kind === 'drop-leftover')?.outcome).toBe('done');
            expect(run.stderr).toContain('maintenance step(s) failed');
          } finally {
            await session.query('ROLLBACK');
          }
        });
        const leftovers = await db.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
            WHERE x.indrelid = 'ecliptix.event_log'::regclass AND c.relname ~ '_cc(new|old)[0-9]*$'`,
        );
        expect(leftovers.rows).toEqual([]);
      });
      // Run again when the database is quiet: everything left is done.
      const again = await runCli([...target.cliArgs, 'maintain', '--apply', ...THRESHOLD_FLAGS]);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
    } finally {
      await target.drop();
    }
  });

  it('Ctrl-C cancels the running reindex and drops what it left; bad arguments are exit 2', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      await withOpenDatabase(target, degrade);
      await withOpenDatabase(target, async (db) => {
        await db.withSession(async (session) => {
          await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
          await session.query('SELECT count(*) FROM ecliptix.app_devices');
          try {
            const child = spawnCli([...target.cliArgs, 'maintain', '--apply', '--lock-wait', '60000', ...THRESHOLD_FLAGS]);
            // Wait until a reindex is waiting for the old snapshot, then interrupt.
            for (let i = 0; i < 200; i++) {
              const waiting = await db.query<{ n: number }>(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'REINDEX INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'",
              );
              if (waiting.rows[0]!.n > 0) break;
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
            child.child.kill('SIGINT');
            const exit = await child.exited;
            expect(exit.code).toBe(1);
            expect(exit.stdout).toContain('cancelled (interrupted)');
            expect(exit.stderr).toContain('maintenance interrupted');
          } finally {
            await session.query('ROLLBACK');
          }
        });
        const leftovers = await db.query(
          `SELECT 1 FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
            WHERE x.indrelid = 'ecliptix.event_log'::regclass AND c.relname ~ '_ccnew[0-9]*$'`,
        );
        expect(leftovers.rows).toEqual([]);
      });
      for (const args of [
        ['--plan', '--apply'],
        ['--lock-wait', 'soon'],
        ['--threshold', 'index-bloat.often=3'],
      ]) {
        const bad = await runCli([...target.cliArgs, 'maintain', ...args]);
        expect(bad.code, args.join(' ')).toBe(2);
      }
    } finally {
      await target.drop();
    }
  });

  it('sign-ups keep going while it rebuilds an index of the table they write', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      await withOpenDatabase(target, async (db) => {
        await db.exec(bulkLoadSql(30_000));
        await db.exec('RESET session_replication_role; ANALYZE');
        await db.exec("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ecliptix.ix_verification_flows_created'::regclass");
      });
      const db = await target.open({ maxConnections: 4 });
      try {
        const client = createMembershipsClient({ db, secrets: { otpKeys: generateKeyring(), dataKeys: generateKeyring() } });
        let running = true;
        const latencies: number[] = [];
        const errors: string[] = [];
        const loop = async () => {
          while (running) {
            const t0 = performance.now();
            try {
              await verifiedClientFlow(client, { phoneNumber: nextUsPhone(), purpose: 'registration' });
              latencies.push(performance.now() - t0);
            } catch (error) {
              errors.push(String(error));
            }
          }
        };
        const loops = Array.from({ length: 4 }, loop);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const before = latencies.length;
        const run = await runCli([...target.cliArgs, 'maintain', '--apply', '--lock-wait', '2000', '--json']);
        const during = latencies.length - before;
        running = false;
        await Promise.all(loops);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const report = JSON.parse(run.stdout) as { results: { step: { name: string }; outcome: string }[] };
        expect(report.results).toContainEqual(
          expect.objectContaining({ step: expect.objectContaining({ name: 'ix_verification_flows_created' }), outcome: 'done' }),
        );
        expect(errors).toEqual([]);
        expect(during).toBeGreaterThan(0);
        // No sign-up waited anywhere near a lock wait.
        expect(Math.max(...latencies)).toBeLessThan(2000);
      } finally {
        await db.close();
      }
    } finally {
      await target.drop();
    }
  });
});
