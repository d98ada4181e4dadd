/**
 * `health`: each check made to fire on purpose — its level and its number —
 * and then cleared; on both engines where the engine has the statistic, the
 * rest in the blocks named "server only". Statistics are asynchronous: the
 * writes flush theirs (pg_stat_force_next_flush) and the reads poll with a
 * bounded wait, never a fixed sleep.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { cleanup } from '../../src/commands/cleanup.js';
import { health, type HealthFinding, type HealthReport, type HealthThresholds } from '../../src/commands/health.js';
import type { Database } from '../../src/db/database.js';
import { maskStatement } from '../../src/operations/health-checks.js';
import { parseThresholdOverrides, resolveThresholds } from '../../src/operations/health-thresholds.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, freshDatabaseEach, withOpenDatabase } from '../support/databases.js';
import { loadRetentionData } from './retention-data.js';
import { signUp } from './support.js';

type Check = HealthFinding['check'];

/** The figures other suites on the shared test server move (connections): not judged where a test expects all OK. */
const SHARED_SERVER: HealthThresholds = { connections: { warn: null, crit: null } };

const notOk = (report: HealthReport, check: Check) => report.findings.filter((f) => f.check === check && f.level !== 'OK');
const findingOf = (report: HealthReport, check: Check, subject: string) =>
  report.findings.find((f) => f.check === check && f.subject === subject);

/** Runs health until `done` holds for its report (statistics arrive asynchronously), at most ~15 s. */
async function healthUntil(db: Database, thresholds: HealthThresholds, done: (r: HealthReport) => boolean): Promise<HealthReport> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const report = await health({ db, thresholds, snapshot: false });
    if (done(report) || Date.now() > deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `sql` on one session and flushes its statistics, so the next read sees them. */
async function writeAndFlush(db: Database, sql: string): Promise<void> {
  await db.withSession(async (session) => {
    await session.exec(sql);
    await session.query('SELECT pg_stat_force_next_flush()');
  });
}

const EVENTS = (n: number) =>
  `INSERT INTO ecliptix.event_log (event_type, message, created_at)
   SELECT 'probe', repeat('x', 40), now() - make_interval(secs => g) FROM generate_series(1, ${n}) g`;

describe.each(engines)('health on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it('a fresh database is all OK (exit status OK), and what the engine lacks is skipped, never an error', async () => {
    // Connections are server-wide and the test server is shared with other suites: judged in the server-only block.
    const report = await health({ db: fresh.db, snapshot: false, thresholds: SHARED_SERVER });
    expect(report.worst).toBe('OK');
    expect(report.counts.WARN + report.counts.CRIT).toBe(0);
    const skipped = report.findings.filter((f) => f.level === 'SKIPPED').map((f) => f.check);
    if (engine === 'pglite') {
      expect(skipped.sort()).toEqual(['cache-hit', 'connections', 'idle-in-transaction', 'long-queries', 'slow-statements']);
      for (const f of report.findings.filter((f) => f.level === 'SKIPPED'))
        expect(f.message).toBe('skipped: not available on the embedded database');
    } else {
      expect(skipped).toEqual([]);
      expect(findingOf(report, 'slow-statements', 'pg_stat_statements')).toMatchObject({
        level: 'OK',
        message: expect.stringMatching(/not installed/),
      });
    }
    for (const check of [
      'dead-tuples',
      'xid-age',
      'invalid-indexes',
      'table-bloat',
      'index-bloat',
      'sequence-headroom',
      'cleanup-backlog',
      'database-size',
    ] as const)
      expect(report.findings.some((f) => f.check === check && f.level === 'OK')).toBe(true);
    expect(report.findings.filter((f) => f.check === 'index-bloat').every((f) => f.estimate && f.message.startsWith('estimate'))).toBe(
      true,
    );
  });

  it('dead tuples and stale statistics fire on a table autovacuum leaves alone, and clear after VACUUM ANALYZE', async () => {
    const { db } = fresh;
    await db.exec('ALTER TABLE ecliptix.event_log SET (autovacuum_enabled = false)');
    await writeAndFlush(db, EVENTS(5000));
    await db.exec('ANALYZE ecliptix.event_log');
    await writeAndFlush(db, 'DELETE FROM ecliptix.event_log WHERE id % 5 <> 0');
    const fired = await healthUntil(db, {}, (r) => notOk(r, 'dead-tuples').length > 0 && notOk(r, 'stale-statistics').length > 0);
    expect(findingOf(fired, 'dead-tuples', 'ecliptix.event_log')).toMatchObject({ level: 'CRIT', value: 80, unit: '%' });
    expect(findingOf(fired, 'dead-tuples', 'ecliptix.event_log')?.message).toMatch(
      engine === 'pglite'
        ? /4,000 dead rows beside 1,000 live ones.*the embedded database runs no autovacuum/
        : /4,000 dead rows beside 1,000 live ones.*autovacuum is off for this table/,
    );
    expect(findingOf(fired, 'dead-tuples', 'ecliptix.event_log')?.action).toMatch(/^VACUUM \(VERBOSE, ANALYZE\) ecliptix\.event_log/);
    expect(findingOf(fired, 'stale-statistics', 'ecliptix.event_log')).toMatchObject({ level: 'CRIT', value: 400 });
    expect(findingOf(fired, 'stale-statistics', 'ecliptix.event_log')?.action).toMatch(/^ANALYZE \(VERBOSE\) ecliptix\.event_log/);
    expect(fired.worst).toBe('CRIT');
    // A higher threshold makes the same number a warning.
    const warned = await health({
      db,
      snapshot: false,
      thresholds: { 'dead-tuples': { warn: 50, crit: 90 }, 'stale-statistics': { warn: 300, crit: 1000 } },
    });
    expect(findingOf(warned, 'dead-tuples', 'ecliptix.event_log')).toMatchObject({ level: 'WARN', value: 80 });
    expect(findingOf(warned, 'stale-statistics', 'ecliptix.event_log')).toMatchObject({ level: 'WARN', value: 400 });

    await db.exec('VACUUM ANALYZE ecliptix.event_log');
    const cleared = await healthUntil(db, {}, (r) => notOk(r, 'dead-tuples').length === 0 && notOk(r, 'stale-statistics').length === 0);
    expect(notOk(cleared, 'dead-tuples')).toEqual([]);
    expect(notOk(cleared, 'stale-statistics')).toEqual([]);
  });

  it('a nearly exhausted sequence is CRIT with the percent used, and clears when reset', async () => {
    const { db } = fresh;
    await db.query("SELECT setval(pg_get_serial_sequence('ecliptix.event_log', 'id'), 9223372036854775807 - 1000)::text");
    const fired = await health({ db, snapshot: false });
    const f = findingOf(fired, 'sequence-headroom', 'ecliptix.event_log.id')!;
    expect(f).toMatchObject({ level: 'CRIT', unit: '% used' });
    expect(f.value).toBeGreaterThan(99.99);
    expect(f.message).toMatch(/bigint identity fed by event_log_id_seq/);
    // 80 % is a warning.
    await db.query("SELECT setval(pg_get_serial_sequence('ecliptix.event_log', 'id'), (9223372036854775807 * 0.8)::bigint)::text");
    expect(findingOf(await health({ db, snapshot: false }), 'sequence-headroom', 'ecliptix.event_log.id')).toMatchObject({
      level: 'WARN',
      value: 80,
    });
    await db.query("SELECT setval(pg_get_serial_sequence('ecliptix.event_log', 'id'), 1)::text");
    expect(notOk(await health({ db, snapshot: false }), 'sequence-headroom')).toEqual([]);
  });

  it('a leftover of an interrupted REINDEX CONCURRENTLY and a duplicate index are named, with what to drop; cleared when dropped', async () => {
    const { db } = fresh;
    // A rebuild's leftover is invalid (a valid index is never one, whatever its name): marked so, as an interrupted one is left.
    await db.exec('CREATE INDEX ix_event_log_created_at_ccnew ON ecliptix.event_log (created_at)');
    await db.exec("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ecliptix.ix_event_log_created_at_ccnew'::regclass");
    await db.exec('CREATE INDEX ix_event_log_valid_ccnew ON ecliptix.event_log (event_type)');
    await db.exec('CREATE INDEX ix_event_log_created_at_copy ON ecliptix.event_log (created_at)');
    const fired = await health({ db, snapshot: false });
    expect(notOk(fired, 'reindex-leftovers')).toEqual([
      expect.objectContaining({ level: 'WARN', value: 1, subject: 'ecliptix.ix_event_log_created_at_ccnew' }),
    ]);
    expect(notOk(fired, 'reindex-leftovers')[0]!.action).toMatch(/^DROP INDEX CONCURRENTLY ecliptix\.ix_event_log_created_at_ccnew/);
    expect(notOk(fired, 'duplicate-indexes')).toEqual([
      expect.objectContaining({ level: 'WARN', value: 1, subject: 'ecliptix.ix_event_log_created_at_copy' }),
    ]);
    expect(notOk(fired, 'invalid-indexes')).toEqual([]); // the leftover is not counted twice
    await db.exec('DROP INDEX ecliptix.ix_event_log_created_at_ccnew');
    await db.exec('DROP INDEX ecliptix.ix_event_log_created_at_copy');
    await db.exec('DROP INDEX ecliptix.ix_event_log_valid_ccnew');
    const cleared = await health({ db, snapshot: false });
    expect(notOk(cleared, 'reindex-leftovers')).toEqual([]);
    expect(notOk(cleared, 'duplicate-indexes')).toEqual([]);
  });

  it('an invalid index (a CREATE UNIQUE INDEX CONCURRENTLY that failed on a duplicate) is CRIT; cleared when dropped', async () => {
    const { db } = fresh;
    await db.exec(EVENTS(10));
    await expect(db.exec('CREATE UNIQUE INDEX CONCURRENTLY ux_event_log_type ON ecliptix.event_log (event_type)')).rejects.toThrow(
      /duplicate|unique/i,
    );
    const fired = await health({ db, snapshot: false });
    expect(notOk(fired, 'invalid-indexes')).toEqual([
      expect.objectContaining({ level: 'CRIT', value: 1, unit: 'indexes', subject: 'ecliptix.ux_event_log_type' }),
    ]);
    expect(notOk(fired, 'invalid-indexes')[0]!.action).toMatch(/REINDEX INDEX CONCURRENTLY ecliptix\.ux_event_log_type/);
    expect(fired.worst).toBe('CRIT');
    await db.exec('DROP INDEX ecliptix.ux_event_log_type');
    expect(notOk(await health({ db, snapshot: false }), 'invalid-indexes')).toEqual([]);
  });

  it('a bloated index and table are estimated as such ("estimate"), and clear after REINDEX and VACUUM FULL', async () => {
    const { db } = fresh;
    const thresholds: HealthThresholds = { 'index-bloat': { min: 0.1 }, 'table-bloat': { min: 0.1 } };
    await db.exec(`${EVENTS(20000)}`);
    await db.exec('DELETE FROM ecliptix.event_log WHERE id % 20 <> 0');
    await db.exec('VACUUM ANALYZE ecliptix.event_log');
    const fired = await health({ db, snapshot: false, thresholds });
    const index = findingOf(fired, 'index-bloat', 'ecliptix.ix_event_log_created_at')!;
    expect(index).toMatchObject({ level: 'CRIT', estimate: true, unit: '%' });
    expect(index.value).toBeGreaterThan(80);
    expect(index.message).toMatch(/^estimate: /);
    expect(index.action).toMatch(/^REINDEX INDEX CONCURRENTLY ecliptix\.ix_event_log_created_at/);
    const table = findingOf(fired, 'table-bloat', 'ecliptix.event_log')!;
    expect(table).toMatchObject({ level: 'CRIT', estimate: true });
    await db.exec('REINDEX TABLE ecliptix.event_log');
    const reindexed = await health({ db, snapshot: false, thresholds });
    expect(notOk(reindexed, 'index-bloat')).toEqual([]);
    await db.exec('VACUUM FULL ecliptix.event_log');
    await db.exec('ANALYZE ecliptix.event_log');
    expect(notOk(await health({ db, snapshot: false, thresholds }), 'table-bloat')).toEqual([]);
  });

  it('unused indexes are WARN at most, named as candidates; a statistics reset clears them', async () => {
    const { db } = fresh;
    await writeAndFlush(db, EVENTS(50));
    const fired = await healthUntil(db, { 'unused-indexes': { min: 10 } }, (r) => notOk(r, 'unused-indexes').length > 0);
    const f = notOk(fired, 'unused-indexes')[0]!;
    expect(f).toMatchObject({ level: 'WARN', threshold: { warn: 1, crit: null } });
    expect(f.subject.split(', ')).toContain('ecliptix.ix_event_log_created_at');
    expect(f.subject).not.toMatch(/pkey/);
    expect(f.action).toMatch(/DROP INDEX CONCURRENTLY ecliptix\.ix_event_log_created_at/);
    await db.query('SELECT pg_stat_reset()');
    const cleared = await healthUntil(db, { 'unused-indexes': { min: 10 } }, (r) => notOk(r, 'unused-indexes').length === 0);
    expect(notOk(cleared, 'unused-indexes')).toEqual([]);
  });

  it("rows waiting for the clean-up are counted by the clean-up's own rules, and clear after `cleanup`", async () => {
    const { db } = fresh;
    await loadRetentionData(db, { go: 3, stay: 2 });
    const dry = await cleanup({ db, dryRun: true });
    const waiting = dry.rules.reduce((sum, r) => sum + r.matched, 0);
    expect(waiting).toBeGreaterThan(0);
    const fired = await health({ db, snapshot: false, thresholds: { 'cleanup-backlog': { warn: 1 } } });
    expect(notOk(fired, 'cleanup-backlog')).toEqual([
      expect.objectContaining({ level: 'WARN', value: waiting, subject: 'retention rules' }),
    ]);
    expect(notOk(fired, 'cleanup-backlog')[0]!.action).toBe('run `ecliptix-persistor cleanup` (monthly from cron, or now)');
    await cleanup({ db });
    const cleared = await health({ db, snapshot: false, thresholds: { 'cleanup-backlog': { warn: 1 } } });
    expect(cleared.findings.find((f) => f.check === 'cleanup-backlog')).toMatchObject({ level: 'OK', value: 0 });
  });

  it('each run keeps a snapshot; the next one shows the change since it; only the newest are kept', async () => {
    const { db } = fresh;
    const first = await health({ db });
    expect(first.previous).toBeNull();
    expect(first.snapshot.kept).toBe(true);
    await db.exec(EVENTS(3000));
    const second = await health({ db, keepSnapshots: 2 });
    expect(second.previous?.takenAt).toBe((first.snapshot as { takenAt: string }).takenAt);
    expect(second.sizes.database.previousBytes).toBe(first.sizes.database.bytes);
    const events = second.sizes.tables.find((t) => t.schema === 'ecliptix' && t.table === 'event_log')!;
    expect(events.changeBytes).toBeGreaterThan(0);
    expect(findingOf(second, 'database-size', `database ${second.database}`)?.message).toMatch(/since the last run/);
    await health({ db, keepSnapshots: 2 });
    const kept = await db.query<{ n: number; checks: number }>(
      "SELECT count(*)::int AS n, max((SELECT count(*) FROM jsonb_object_keys(summary->'checks')))::int AS checks FROM persistor.health_snapshots",
    );
    expect(kept.rows[0]).toEqual({ n: 2, checks: 17 });
    // --no-snapshot compares without keeping.
    const notKept = await health({ db, snapshot: false });
    expect(notKept.snapshot).toEqual({ kept: false, reason: 'not asked to (--no-snapshot)' });
    expect(notKept.previous).not.toBeNull();
  });

  it('a database the tool has not deployed: the checks run, no snapshot is kept and no schema is created there', async () => {
    const empty = await createTestDatabase(engine);
    try {
      await withOpenDatabase(empty, async (db) => {
        const report = await health({ db, thresholds: SHARED_SERVER });
        expect(report.worst).toBe('OK');
        expect(report.snapshot).toEqual({
          kept: false,
          reason: 'the database has no schema persistor (it was not deployed with this tool: run `ecliptix-persistor migrate`)',
        });
        expect(report.findings.find((f) => f.check === 'cleanup-backlog')).toMatchObject({
          level: 'SKIPPED',
          message: expect.stringMatching(/^skipped: could not run: /),
        });
        const schemas = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'persistor'");
        expect(schemas.rows[0]!.n).toBe(0);
      });
    } finally {
      await empty.drop();
    }
  });

  it('the CLI: exit 0 when OK, 6 on WARN, 7 on CRIT, one JSON document with --json, the change since the last run on the second run', async () => {
    const { target, db } = fresh;
    if (engine === 'pglite') await db.close(); // the embedded database takes one process at a time
    const ok = await runCli([...target.cliArgs, 'health', '--threshold', 'connections.warn=off', '--threshold', 'connections.crit=off']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/worst: OK .*\(exit 0\)/);
    expect(ok.stdout).toMatch(/no previous snapshot/);
    const warn = await runCli([...target.cliArgs, 'health', '--json', '--threshold', 'xid-age.warn=0']);
    expect(warn.code).toBe(6);
    const doc = JSON.parse(warn.stdout) as HealthReport;
    expect(doc).toMatchObject({ worst: 'WARN', engine, snapshot: { kept: true }, previous: { takenAt: expect.any(String) } });
    expect(Object.keys(doc).sort()).toEqual(
      [
        'checkedAt',
        'counts',
        'database',
        'durationMs',
        'engine',
        'findings',
        'previous',
        'serverVersion',
        'sizes',
        'snapshot',
        'target',
        'thresholds',
        'worst',
      ].sort(),
    );
    expect(Object.keys(doc.findings[0]!)).toEqual(['check', 'subject', 'level', 'value', 'unit', 'threshold', 'message', 'action']);
    expect(warn.stderr).toMatch(/health: WARN/);
    const crit = await runCli([...target.cliArgs, 'health', '--threshold', 'xid-age.crit=0', '--threshold', 'xid-age.warn=0']);
    expect(crit.code).toBe(7);
    expect(crit.stdout).toMatch(/since the last run \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    expect(crit.stdout).toMatch(/what to do:\n\s+CRIT xid-age/);
  });

  it('bad thresholds exit 2 naming the threshold, before anything is opened', async () => {
    const { target } = fresh;
    for (const [arg, message] of [
      ['dead-rows.warn=1', /unknown check "dead-rows"/],
      ['dead-tuples.warn=lots', /"dead-tuples.warn=lots": "lots" is not a number/],
      ['dead-tuples.warn=60', /dead-tuples.warn=60: the warning level must come before the critical one/],
      ['xid-age.min=3', /xid-age.min: xid-age takes no minimum sample/],
      ['unused-indexes.crit=5', /unused-indexes is WARN at most/],
      ['dead-tuples', /expected <check>.<warn\|crit\|min>=<number>/],
    ] as const) {
      const result = await runCli([...target.cliArgs, 'health', '--threshold', arg]);
      expect({ arg, code: result.code }).toEqual({ arg, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });

  it('prints no row data: no phone number, OTP hash or secure key of a member, in either format', async () => {
    const { target, db } = fresh;
    const phone = '+14155550123';
    await signUp(db, phone);
    if (engine === 'pglite') await db.close();
    for (const args of [['health'], ['health', '--json']]) {
      const result = await runCli([
        ...target.cliArgs,
        ...args,
        '--threshold',
        'unused-indexes.min=1',
        '--threshold',
        'cleanup-backlog.warn=1',
      ]);
      const all = result.stdout + result.stderr;
      expect(all).not.toContain('4155550123');
      expect(all).not.toContain('5550123');
      expect(all).not.toMatch(/\\x0a0b0c|0a0b0c|"hash"|\bsalt\b/);
    }
  });
});

describe('health: statement text', () => {
  it('masks quoted literals, dollar-quoted bodies and long numbers, folds whitespace and cuts it short', () => {
    expect(maskStatement("SELECT * FROM ecliptix.login_membership('+14155550123')")).toBe("SELECT * FROM ecliptix.login_membership('?')");
    expect(maskStatement("ALTER ROLE app PASSWORD 'it''s secret'")).toBe("ALTER ROLE app PASSWORD '?'");
    expect(maskStatement('DO $x$ BEGIN PERFORM 1; END $x$')).toBe('DO $?$');
    expect(maskStatement('SELECT  $1,\n 14155550123')).toBe('SELECT $1, ?');
    expect(maskStatement(`SELECT ${'x, '.repeat(100)}1`)).toHaveLength(120);
  });
});

describe('health thresholds', () => {
  it('parses overrides and applies them over the defaults; off turns a level off', () => {
    const parsed = parseThresholdOverrides(['dead-tuples.warn=30', 'dead-tuples.crit=off', 'cache-hit.min=5']);
    expect(parsed).toEqual({ 'dead-tuples': { warn: 30, crit: null }, 'cache-hit': { min: 5 } });
    const resolved = resolveThresholds(parsed);
    expect(resolved['dead-tuples']).toEqual({ warn: 30, crit: null, min: 1000 });
    expect(resolved['cache-hit']).toEqual({ warn: 95, crit: 90, min: 5 });
    expect(() => resolveThresholds({ 'cache-hit': { warn: 80, crit: 90 } })).toThrow(
      /cache-hit.warn=80: the warning level must come before/,
    );
    expect(() => resolveThresholds({ 'dead-tuples': { warn: -1 } })).toThrow(/dead-tuples.warn: must be a number of %, 0 or more/);
  });
});

describe('health on postgres (server only): sessions, connections, cache hit rate, roles that may not keep snapshots', () => {
  const fresh = freshDatabaseEach('postgres', { withSchema: true });

  it('an idle-in-transaction session and a long query are named by pid, never by their text, and clear when they end', async () => {
    const { db, target } = fresh;
    const idle = new pg.Client({ connectionString: target.config.databaseUrl, application_name: 'health-test-idle' });
    const busy = new pg.Client({ connectionString: target.config.databaseUrl, application_name: 'health-test-busy' });
    await idle.connect();
    await busy.connect();
    try {
      await idle.query('BEGIN');
      await idle.query("SELECT count(*) FROM ecliptix.event_log WHERE message = '+14155550123'");
      const idlePid = (await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const busyPid = (await busy.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const sleeping = busy.query("SELECT pg_sleep(30), '+14155550123'").catch((error: Error) => error);
      const thresholds: HealthThresholds = { 'idle-in-transaction': { warn: 0.2, crit: 3600 }, 'long-queries': { warn: 0.2, crit: 0.3 } };
      const fired = await healthUntil(
        db,
        thresholds,
        (r) => notOk(r, 'idle-in-transaction').length > 0 && notOk(r, 'long-queries')[0]?.level === 'CRIT',
      );
      const idleFinding = notOk(fired, 'idle-in-transaction')[0]!;
      expect(idleFinding).toMatchObject({ level: 'WARN', subject: `pid ${idlePid} (postgres, health-test-idle)`, unit: 's' });
      expect(idleFinding.value).toBeGreaterThanOrEqual(0.2);
      expect(idleFinding.action).toMatch(new RegExp(`^SELECT pg_terminate_backend\\(${idlePid}\\)`));
      expect(notOk(fired, 'long-queries')[0]).toMatchObject({ level: 'CRIT', subject: `pid ${busyPid} (postgres, health-test-busy)` });
      expect(JSON.stringify(fired)).not.toContain('4155550123');

      await idle.query('COMMIT');
      await db.query('SELECT pg_cancel_backend($1)', [busyPid]);
      expect(await sleeping).toBeInstanceOf(Error);
      const cleared = await healthUntil(
        db,
        thresholds,
        (r) => notOk(r, 'idle-in-transaction').length === 0 && notOk(r, 'long-queries').length === 0,
      );
      expect(notOk(cleared, 'idle-in-transaction')).toEqual([]);
      expect(notOk(cleared, 'long-queries')).toEqual([]);
    } finally {
      await idle.end().catch(() => undefined);
      await busy.end().catch(() => undefined);
    }
  });

  it('connections against max_connections and the cache hit rate are judged with their numbers', async () => {
    const { db } = fresh;
    const report = await health({
      db,
      snapshot: false,
      thresholds: { connections: { warn: 0, crit: 100 }, 'cache-hit': { warn: 101, crit: 0, min: 1 } },
    });
    const connections = findingOf(report, 'connections', 'server')!;
    expect(connections).toMatchObject({ level: 'WARN', unit: '% of max_connections' });
    expect(connections.value).toBeGreaterThan(0);
    expect(connections.message).toMatch(/^\d+ client connections of \d+/);
    const cache = report.findings.find((f) => f.check === 'cache-hit')!;
    expect(cache).toMatchObject({ level: 'WARN', threshold: { direction: 'below' } });
    expect(cache.value).toBeGreaterThan(0);
    expect(cache.value).toBeLessThanOrEqual(100);
    // Under the minimum sample, the rate is not judged.
    const unjudged = await health({ db, snapshot: false, thresholds: { 'cache-hit': { min: 1e12 } } });
    expect(unjudged.findings.find((f) => f.check === 'cache-hit')).toMatchObject({
      level: 'OK',
      value: null,
      message: expect.stringMatching(/^not judged/),
    });
  });

  it('pg_stat_statements installed but not loaded (not in shared_preload_libraries) is an OK finding saying so, not an error', async () => {
    const { db } = fresh;
    await db.exec('CREATE EXTENSION pg_stat_statements');
    const report = await health({ db, snapshot: false, thresholds: SHARED_SERVER });
    expect(report.findings.filter((f) => f.check === 'slow-statements')).toEqual([
      expect.objectContaining({
        level: 'OK',
        value: null,
        message: 'installed but not loaded: add pg_stat_statements to shared_preload_libraries and restart',
      }),
    ]);
  });

  it('a role that may not keep snapshots gets its report, saying why; checks it may not run are skipped with the reason', async () => {
    const { db, target } = fresh;
    await health({ db }); // the owner creates the table
    const role = `persistor_health_ro_${process.pid}_${Date.now() % 100000}`;
    await db.exec(`CREATE ROLE ${role} LOGIN`);
    try {
      const url = new URL(target.config.databaseUrl!);
      url.username = role;
      const report = await health({ databaseUrl: url.toString() });
      expect(report.snapshot).toEqual({
        kept: false,
        reason: 'this role may not insert into persistor.health_snapshots (run health as the owner)',
      });
      expect(report.findings.find((f) => f.check === 'cleanup-backlog')).toMatchObject({
        level: 'SKIPPED',
        message: expect.stringMatching(/^skipped: could not run: .*permission denied/),
      });
    } finally {
      await db.exec(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
