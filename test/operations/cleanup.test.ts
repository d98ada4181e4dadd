/** `cleanup`: the retention rules remove exactly the right rows, in batches, and nothing else; dry run, settings, interruption, bad input. */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { cleanup } from '../../src/commands/cleanup.js';
import { CLEANUP_LOCK_KEY, RETENTION_RULES } from '../../src/operations/cleanup.js';
import { runCli, spawnCli } from '../support/cli.js';
import { createTestDatabase, engines, freshDatabaseEach } from '../support/databases.js';
import { snapshotAllTables } from '../schema/journey.js';
import { expectedGo, labelOutcome, loadRetentionData, type RetentionDataSize, type RetentionTable } from './retention-data.js';

const SIZE: RetentionDataSize = { go: 25, stay: 12 };
const byTable = <T extends { table: string }>(rules: T[]) => Object.fromEntries(rules.map((r) => [r.table, r])) as Record<RetentionTable, T>;

describe.each(engines)('cleanup on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });
  beforeEach(async () => {
    await loadRetentionData(fresh.db, SIZE);
  });

  it('a dry run counts exactly what would go and changes nothing; the run removes exactly those rows, in batches; a second run finds nothing', async () => {
    const { target, db } = fresh;
    const go = expectedGo(SIZE);
    const before = await snapshotAllTables(db);
    const dry = await cleanup({ ...target.config, db, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, interrupted: false, retentionDays: 30, eventLogRetentionDays: 90, totalAffected: 0 });
    expect(dry.rules.map((r) => r.table)).toEqual(RETENTION_RULES.map((r) => r.table));
    for (const rule of dry.rules) expect({ table: rule.table, matched: rule.matched, affected: rule.affected }).toEqual({ table: rule.table, matched: go[rule.table as RetentionTable], affected: 0 });
    expect(await snapshotAllTables(db)).toEqual(before);

    const run = await cleanup({ ...target.config, db, batchSize: 7 });
    const rules = byTable(run.rules);
    for (const table of Object.keys(go) as RetentionTable[]) {
      expect({ table, affected: rules[table].affected, batches: rules[table].batches, remaining: rules[table].remaining }).toEqual({
        table,
        affected: go[table],
        batches: Math.ceil(go[table] / 7),
        remaining: 0,
      });
    }
    expect(run.totalAffected).toBe(Object.values(go).reduce((a, b) => a + b, 0));
    expect(rules.login_attempts.action).toBe('delete');
    expect(rules.verification_flows.action).toBe('soft-delete');

    const outcome = await labelOutcome(db, go);
    for (const table of Object.keys(go) as RetentionTable[]) {
      expect({ table, ...outcome[table] }).toEqual({ table, goDone: go[table], goLeft: 0, keptTouched: 0, kept: outcome[table].kept });
      expect(outcome[table].kept).toBeGreaterThan(0);
    }
    // A soft-delete is an update: the trigger stamps updated_at.
    const stamped = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ecliptix.verification_flows WHERE connection_id = 1 AND updated_at > ecliptix_internal.now() - interval '1 hour'",
    );
    expect(stamped.rows[0]!.n).toBe(SIZE.go);
    // The newest success of a phone whose successes are all old stays: login_membership's lockout ladder counts from it.
    const newest = await db.query<{ phones: number; rows: number }>(
      "SELECT count(DISTINCT phone_number)::int AS phones, count(*)::int AS rows FROM ecliptix.login_attempts WHERE phone_number LIKE '+1777%' AND is_success",
    );
    expect(newest.rows[0]!.rows).toBe(newest.rows[0]!.phones);

    const after = await snapshotAllTables(db);
    const again = await cleanup({ ...target.config, db });
    expect(again.totalAffected).toBe(0);
    expect(again.rules.every((r) => r.matched === 0 && r.remaining === 0)).toBe(true);
    expect(await snapshotAllTables(db)).toEqual(after);
  });

  it('retention comes from the settings rows, and options override them', async () => {
    const { target, db } = fresh;
    await db.query("UPDATE ecliptix_internal.settings SET value = '45' WHERE name = 'retention_days'");
    const longer = await cleanup({ ...target.config, db, dryRun: true });
    expect(longer.retentionDays).toBe(45);
    expect(byTable(longer.rules).verification_flows.matched).toBe(0); // every finished flow is younger than 45 days
    expect(byTable(longer.rules).event_log.matched).toBe(SIZE.go);

    const shorter = await cleanup({ ...target.config, db, dryRun: true, retentionDays: 20, eventLogRetentionDays: 80 });
    expect(shorter).toMatchObject({ retentionDays: 20, eventLogRetentionDays: 80 });
    const rules = byTable(shorter.rules);
    expect(rules.verification_flows.matched).toBe(SIZE.go + SIZE.stay); // and the finished flows 29 days old
    expect(rules.event_log.matched).toBe(SIZE.go + SIZE.stay); // and the events 89 days old
    expect(rules.event_log.retentionDays).toBe(80);
  });

  it('stops cleanly between batches when asked (Ctrl-C), keeping whole batches only; the next run finishes', async () => {
    const { target, db } = fresh;
    const controller = new AbortController();
    const go = expectedGo(SIZE);
    const stopped = await cleanup({
      ...target.config,
      db,
      batchSize: 10,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 20) controller.abort();
      },
    });
    expect(stopped.interrupted).toBe(true);
    expect(stopped.rules).toHaveLength(1);
    expect(stopped.rules[0]).toMatchObject({ table: 'verification_flows', affected: 20, batches: 2, remaining: SIZE.go - 20 });
    expect((await labelOutcome(db, go)).verification_flows).toMatchObject({ goDone: 20, goLeft: SIZE.go - 20, keptTouched: 0 });

    const rest = await cleanup({ ...target.config, db, batchSize: 10 });
    expect(byTable(rest.rules).verification_flows.affected).toBe(SIZE.go - 20);
    const outcome = await labelOutcome(db, go);
    for (const table of Object.keys(go) as RetentionTable[]) expect({ table, ...outcome[table] }).toMatchObject({ table, goDone: go[table], goLeft: 0, keptTouched: 0 });
  });

  it('bad settings and an undeployed database: exit 5 with a clear message, nothing changed', async () => {
    const { target, db } = fresh;
    const before = await snapshotAllTables(db);
    await db.query("UPDATE ecliptix_internal.settings SET value = 'thirty' WHERE name = 'retention_days'");
    await expect(cleanup({ ...target.config, db })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      exitCode: 5,
      message: expect.stringContaining('ecliptix setting "retention_days" must be an integer, found "thirty"'),
    });
    await db.query("UPDATE ecliptix_internal.settings SET value = '0' WHERE name = 'retention_days'");
    await expect(cleanup({ ...target.config, db })).rejects.toMatchObject({ exitCode: 5, message: expect.stringContaining('the setting retention_days is 0: it must be at least 1 day') });
    // a retention given as an option does not need the setting
    expect((await cleanup({ ...target.config, db, dryRun: true, retentionDays: 30 })).retentionDays).toBe(30);
    expect(await snapshotAllTables(db)).toEqual(before);

    if (engine === 'pglite') return; // the undeployed case is the same code on both engines; PGlite starts slowly
    const empty = await createTestDatabase(engine);
    try {
      const emptyDb = await empty.open();
      try {
        await expect(cleanup({ ...empty.config, db: emptyDb })).rejects.toMatchObject({ exitCode: 5, message: expect.stringContaining('not deployed') });
      } finally {
        await emptyDb.close();
      }
    } finally {
      await empty.drop();
    }
  });
});

describe('cleanup: bad arguments fail before anything is opened (exit 2)', () => {
  it('programmatic options', async () => {
    const nowhere = { dataDir: '/nonexistent/never-opened' };
    for (const options of [{ retentionDays: 0 }, { eventLogRetentionDays: -1 }, { retentionDays: 1.5 }, { batchSize: 0 }, { batchSize: 1_000_000 }]) {
      await expect(cleanup({ ...nowhere, ...options }), JSON.stringify(options)).rejects.toMatchObject({ exitCode: 2 });
    }
  });

  it('flags, environment and config', async () => {
    const cases: { args: string[]; env?: Record<string, string>; message: string }[] = [
      { args: ['cleanup', '--retention-days', 'thirty'], message: '--retention-days must be a whole number (got "thirty")' },
      { args: ['cleanup', '--batch-size', '0'], message: 'batch size must be a whole number between 1 and 100000 (got 0)' },
      { args: ['cleanup', '--event-log-retention-days', '0'], message: 'event log retention days must be a whole number of days between 1 and 36500 (got 0)' },
      { args: ['cleanup'], env: { ECLIPTIX_RETENTION_DAYS: '0' }, message: 'retentionDays (from ECLIPTIX_RETENTION_DAYS) must be at least 1 day' },
    ];
    for (const { args, env, message } of cases) {
      const result = await runCli([...args, '--data-dir', '/nonexistent/never-opened'], env ? { env } : {});
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
  });
});

describe('cleanup on postgres, with live connections', () => {
  const fresh = freshDatabaseEach('postgres', { withSchema: true });

  it('skips rows that live traffic holds locked instead of waiting, and the next run takes them; one clean-up at a time', async () => {
    const { target, db } = fresh;
    await loadRetentionData(db, SIZE);
    const live = new pg.Client({ connectionString: target.config.databaseUrl });
    await live.connect();
    try {
      await live.query('BEGIN');
      const held = await live.query('SELECT id FROM ecliptix.verification_flows WHERE connection_id = 1 ORDER BY id LIMIT 3 FOR UPDATE');
      expect(held.rowCount).toBe(3);
      const started = Date.now();
      const first = await cleanup({ ...target.config, db, batchSize: 10 });
      expect(Date.now() - started).toBeLessThan(10_000); // it did not wait for the lock holder
      expect(byTable(first.rules).verification_flows).toMatchObject({ affected: SIZE.go - 3, remaining: 3 });
      await live.query('COMMIT');

      const second = await cleanup({ ...target.config, db, batchSize: 10 });
      expect(byTable(second.rules).verification_flows).toMatchObject({ affected: 3, remaining: 0 });
      expect(second.totalAffected).toBe(3);

      // another clean-up holds the clean-up lock
      await live.query('SELECT pg_advisory_lock($1::bigint)', [CLEANUP_LOCK_KEY]);
      await expect(cleanup({ ...target.config, db })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT', exitCode: 1, message: expect.stringContaining('another clean-up is running') });
    } finally {
      await live.end();
    }
  });

  it('the CLI: --dry-run --json, then SIGINT stops after the current batch with exit 1, and a second run finishes', async () => {
    const { target, db } = fresh;
    const size = { go: 8000, stay: 10 };
    await loadRetentionData(db, size);
    const go = expectedGo(size);
    const dry = await runCli([...target.cliArgs, 'cleanup', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).rules.map((r: { matched: number }) => r.matched)).toEqual(Object.values(go));

    const { child, exited } = spawnCli([...target.cliArgs, 'cleanup', '--batch-size', '20', '--json']);
    // Wait until it is part-way through the first table, then press Ctrl-C.
    for (let i = 0; i < 400; i++) {
      const n = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ecliptix.verification_flows WHERE is_deleted AND connection_id = 1')).rows[0]!.n;
      if (n > 0) break;
      await sleep(25);
    }
    child.kill('SIGINT');
    const result = await exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stopping after the current batch');
    expect(result.stderr).toContain('clean-up interrupted');
    const report = JSON.parse(result.stdout);
    expect(report.interrupted).toBe(true);
    // Whole batches only, and exactly what the report says.
    const outcome = await labelOutcome(db, go);
    const flows = report.rules[0];
    expect(flows.table).toBe('verification_flows');
    expect(flows.affected).toBeLessThan(size.go);
    expect(flows.affected % 20).toBe(0);
    expect(outcome.verification_flows.goDone).toBe(flows.affected);
    expect(report.rules).toHaveLength(1);
    expect(outcome.event_log.goDone).toBe(0);

    const rest = await runCli([...target.cliArgs, 'cleanup', '--batch-size', '1000']);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toMatch(/done: \d+ row\(s\) cleaned up in/);
    const final = await labelOutcome(db, go);
    for (const table of Object.keys(go) as RetentionTable[]) expect({ table, ...final[table] }).toMatchObject({ table, goDone: go[table], goLeft: 0, keptTouched: 0 });
  });
});
