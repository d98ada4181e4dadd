/** `cleanup`: the rules expire, soft-delete or delete exactly the right rows, in batches, and nothing else; their limits, dry run, settings, interruption, bad input. */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { cleanup } from '../../src/commands/cleanup.js';
import type { Queryable } from '../../src/db/database.js';
import { CLEANUP_LOCK_KEY, RETENTION_RULES, batchParams } from '../../src/operations/cleanup.js';
import { sqlFile } from '../../src/sql-files.js';
import { runCli, spawnCli } from '../support/cli.js';
import { setClockOffset } from '../support/clock.js';
import { createTestDatabase, engines, freshDatabaseEach } from '../support/databases.js';
import { planNodes, type PlanNode } from '../support/plans.js';
import { snapshotAllTables } from '../schema/journey.js';
import {
  LOCKOUTS_KEPT,
  RULE_NAMES,
  TABLES,
  expectedGo,
  labelOutcome,
  loadRetentionData,
  snapshotLimitGuards,
  type LabelOutcome,
  type RetentionDataSize,
  type RuleName,
} from './retention-data.js';

const SIZE: RetentionDataSize = { go: 25, stay: 12 };
const byRule = <T extends { rule: string }>(rules: T[]) => Object.fromEntries(rules.map((r) => [r.rule, r])) as Record<RuleName, T>;
const matchedOf = (report: { rules: { rule: string; matched: number }[] }) =>
  Object.fromEntries(report.rules.map((r) => [r.rule, r.matched]));
const snapshot = async (db: Queryable) => ({ tables: await snapshotAllTables(db), guards: await snapshotLimitGuards(db) });

/** Every rule did exactly `done` of its rows, and every row labelled to stay is there, unchanged. */
function expectOutcome(outcome: LabelOutcome, before: LabelOutcome, done: Record<RuleName, number>, go: Record<RuleName, number>): void {
  for (const rule of RULE_NAMES) {
    expect({ rule, ...outcome.rules[rule] }).toEqual({ rule, goDone: done[rule], goLeft: go[rule] - done[rule] });
  }
  for (const table of TABLES) {
    expect({ table, ...outcome.tables[table] }).toEqual({ table, kept: before.tables[table].kept, keptTouched: 0 });
    expect(outcome.tables[table].kept).toBeGreaterThan(0);
  }
}

describe.each(engines)('cleanup on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });
  beforeEach(async () => {
    await loadRetentionData(fresh.db, SIZE);
  });

  it('a dry run counts exactly what each rule would change and changes nothing; the run changes exactly those rows, in batches; a second run finds nothing', async () => {
    const { target, db } = fresh;
    const go = expectedGo(SIZE);
    const loaded = await labelOutcome(db, go);
    const before = await snapshot(db);
    const dry = await cleanup({ ...target.config, db, dryRun: true });
    expect(dry).toMatchObject({
      dryRun: true,
      interrupted: false,
      retentionDays: 30,
      eventLogRetentionDays: 90,
      failedAttemptRetentionDays: 90,
      limitGuardRetentionDays: 1,
      totalAffected: 0,
    });
    expect(dry.rules.map((r) => r.rule)).toEqual(RETENTION_RULES.map((r) => r.rule));
    expect(dry.rules.map((r) => r.rule)).toEqual([...RULE_NAMES]);
    // Exact, including the rows that a rule before it makes eligible in the same run (abandoned flows and
    // expired OTPs past retention are soft-deleted once expired).
    expect(matchedOf(dry)).toEqual(go);
    expect(dry.rules.every((r) => r.affected === 0)).toBe(true);
    expect(await snapshot(db)).toEqual(before);

    const run = await cleanup({ ...target.config, db, batchSize: 7 });
    const rules = byRule(run.rules);
    for (const rule of RULE_NAMES) {
      expect({
        rule,
        matched: rules[rule].matched,
        affected: rules[rule].affected,
        batches: rules[rule].batches,
        remaining: rules[rule].remaining,
      }).toEqual({
        rule,
        matched: go[rule],
        affected: go[rule],
        // limit-guards walks the keys in slices of 7; its rows sort first ('cleanup-go:' < 'cleanup-stay:').
        batches: Math.ceil(go[rule] / 7),
        remaining: 0,
      });
    }
    expect(run.totalAffected).toBe(Object.values(go).reduce((a, b) => a + b, 0));
    expect(Object.fromEntries(run.rules.map((r) => [r.rule, r.action]))).toMatchObject({
      'abandoned-flows': 'expire',
      'finished-flow-otps': 'expire',
      'verification-flows': 'soft-delete',
      'login-attempts': 'delete',
      'failed-login-attempts': 'delete',
      'failed-membership-attempts': 'delete',
      'limit-guards': 'delete',
    });
    expect(rules['abandoned-flows'].retentionDays).toBeNull();
    expect(rules['failed-login-attempts'].retentionDays).toBe(90);
    expect(rules['limit-guards'].retentionDays).toBe(1);

    expectOutcome(await labelOutcome(db, go), loaded, go, go);
    // A soft-delete or an expiry is an update: the trigger stamps updated_at.
    const stamped = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ecliptix.verification_flows WHERE connection_id IN (1, 3, 4) AND updated_at > ecliptix_internal.now() - interval '1 hour'",
    );
    expect(stamped.rows[0]!.n).toBe(go['verification-flows'] + SIZE.go);
    // Failed checks of an OTP stay 'failed' no longer: it is expired; a verified OTP keeps its status.
    const states = await db.query<{ label: string; status: string; active: boolean; n: number }>(`
      SELECT otp_hash AS label, status, is_active AS active, count(*)::int AS n FROM ecliptix.otp_records
       WHERE otp_hash IN ('stale', 'expire', 'orphan', 'orphan-failed', 'live') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
    expect(states.rows).toEqual([
      { label: 'expire', status: 'expired', active: false, n: SIZE.go },
      { label: 'live', status: 'pending', active: true, n: SIZE.stay },
      { label: 'orphan', status: 'expired', active: false, n: SIZE.go },
      { label: 'orphan-failed', status: 'expired', active: false, n: SIZE.stay },
      { label: 'stale', status: 'expired', active: false, n: SIZE.stay },
    ]);
    // The newest success of a phone whose successes are all old stays: login_membership's lockout ladder counts from it.
    const newest = await db.query<{ phones: number; rows: number }>(
      "SELECT count(DISTINCT phone_number)::int AS phones, count(*)::int AS rows FROM ecliptix.login_attempts WHERE phone_number LIKE '+1777%' AND is_success",
    );
    expect(newest.rows[0]!.rows).toBe(newest.rows[0]!.phones);
    // Lockouts that end after the cut-off stay, even 91 days old.
    const lockouts = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ecliptix.login_attempts WHERE phone_number LIKE '+1999%'",
    );
    expect(lockouts.rows[0]!.n).toBe(LOCKOUTS_KEPT.running + LOCKOUTS_KEPT.endedAfterCutoff);

    const after = await snapshot(db);
    const again = await cleanup({ ...target.config, db });
    expect(again.totalAffected).toBe(0);
    expect(again.rules.every((r) => r.matched === 0 && r.remaining === 0)).toBe(true);
    expect(await snapshot(db)).toEqual(after);
    const dryAgain = await cleanup({ ...target.config, db, dryRun: true });
    expect(dryAgain.rules.every((r) => r.matched === 0)).toBe(true);
  });

  it('the limits, by the database clock: rows an hour inside them stay until the clock passes them', async () => {
    const { target, db } = fresh;
    const go = expectedGo(SIZE);
    const loaded = await labelOutcome(db, go);
    const { stay } = SIZE;
    // 50 minutes on (10 minutes' margin for the test's own time): nothing new.
    await setClockOffset(db, 50 * 60);
    expect(matchedOf(await cleanup({ ...target.config, db, dryRun: true }))).toEqual(go);

    // 61 minutes on: the live flows have expired (expires_at = load + 1 hour), and so have their OTPs and
    // the OTPs of the flows abandoned at the load, which expired-otps takes now rather than finished-flow-otps;
    // the finished OTPs 30 days less an hour old are past retention, the failed login and membership attempts
    // 90 days less an hour old past theirs. Limit guards follow the server's own clock: unchanged.
    await setClockOffset(db, 61 * 60);
    const later: Record<RuleName, number> = {
      ...go,
      'abandoned-flows': go['abandoned-flows'] + SIZE.go + stay,
      'expired-otps': go['expired-otps'] + stay + SIZE.go,
      'finished-flow-otps': stay,
      'otp-records': go['otp-records'] + stay,
      'failed-login-attempts': go['failed-login-attempts'] + stay,
      'failed-membership-attempts': go['failed-membership-attempts'] + stay,
    };
    const dry = await cleanup({ ...target.config, db, dryRun: true });
    expect(matchedOf(dry)).toEqual(later);
    const run = await cleanup({ ...target.config, db, batchSize: 10 });
    expect(Object.fromEntries(run.rules.map((r) => [r.rule, r.affected]))).toEqual(later);
    expect(run.rules.every((r) => r.remaining === 0)).toBe(true);

    // Every row labelled to go went; of those labelled to stay, exactly the ones an hour inside a limit changed.
    const outcome = await labelOutcome(db, go);
    for (const rule of RULE_NAMES) expect({ rule, ...outcome.rules[rule] }).toEqual({ rule, goDone: go[rule], goLeft: 0 });
    const changed = await db.query<{ flows: number; otps: number; logins: number; memberships: number }>(`
      SELECT (SELECT count(*)::int FROM ecliptix.verification_flows WHERE connection_id = 5 AND status = 'expired' AND NOT is_deleted) AS flows,
             (SELECT count(*)::int FROM ecliptix.otp_records WHERE otp_hash = 'live' AND status = 'expired' AND NOT is_active) AS otps,
             (SELECT count(*)::int FROM ecliptix.login_attempts WHERE phone_number LIKE '+1888%' AND outcome = 'stay') AS logins,
             (SELECT count(*)::int FROM ecliptix.membership_attempts
               WHERE outcome = 'stay' AND NOT is_success AND attempted_at < ecliptix_internal.now() - interval '60 days') AS memberships`);
    expect(changed.rows[0]).toEqual({ flows: SIZE.go + stay, otps: stay, logins: 0, memberships: 0 });
    expect(outcome.tables.verification_flows).toEqual({ kept: loaded.tables.verification_flows.kept, keptTouched: SIZE.go + stay });
    expect(outcome.tables.otp_records).toEqual({ kept: loaded.tables.otp_records.kept, keptTouched: stay + stay }); // 'live', and 'stay' soft-deleted
    expect(outcome.tables.login_attempts).toEqual({ kept: loaded.tables.login_attempts.kept - stay, keptTouched: 0 });
    expect(outcome.tables.membership_attempts).toEqual({ kept: loaded.tables.membership_attempts.kept - stay, keptTouched: 0 });
    for (const table of ['failed_otp_attempts', 'event_log', 'limit_guards'] as const)
      expect({ table, ...outcome.tables[table] }).toEqual({ table, ...loaded.tables[table] });
    expect((await cleanup({ ...target.config, db })).totalAffected).toBe(0);
  });

  it('the periods come from the settings rows, and options override them', async () => {
    const { target, db } = fresh;
    const go = expectedGo(SIZE);
    await db.query("UPDATE ecliptix_internal.settings SET value = '45' WHERE name = 'retention_days'");
    const longer = byRule((await cleanup({ ...target.config, db, dryRun: true })).rules);
    expect(longer['verification-flows']).toMatchObject({ retentionDays: 45, matched: 0 }); // every finished or abandoned flow is younger than 45 days
    expect(longer['event-log'].matched).toBe(SIZE.go);

    const shorter = await cleanup({ ...target.config, db, dryRun: true, retentionDays: 20, eventLogRetentionDays: 80 });
    expect(shorter).toMatchObject({ retentionDays: 20, eventLogRetentionDays: 80 });
    const rules = byRule(shorter.rules);
    expect(rules['verification-flows'].matched).toBe(go['verification-flows'] + SIZE.stay); // and the finished flows 29 days old
    expect(rules['event-log'].matched).toBe(SIZE.go + SIZE.stay); // and the events 89 days old
    expect(rules['event-log'].retentionDays).toBe(80);
    expect(rules['limit-hits']).toMatchObject({ retentionDays: 80, matched: go['limit-hits'] + SIZE.stay }); // the counters follow the events

    // failed_attempt_retention_days: the setting, then an option.
    await db.query("UPDATE ecliptix_internal.settings SET value = '100' WHERE name = 'failed_attempt_retention_days'");
    const kept = await cleanup({ ...target.config, db, dryRun: true });
    expect(kept.failedAttemptRetentionDays).toBe(100);
    expect(byRule(kept.rules)['failed-login-attempts']).toMatchObject({ matched: 0, retentionDays: 100 });
    expect(byRule(kept.rules)['failed-membership-attempts'].matched).toBe(0);
    const sooner = byRule((await cleanup({ ...target.config, db, dryRun: true, failedAttemptRetentionDays: 80 })).rules);
    // and the failures an hour inside 90 days, and the lockout that ended 89 days ago (not the running one)
    expect(sooner['failed-login-attempts'].matched).toBe(go['failed-login-attempts'] + SIZE.stay + LOCKOUTS_KEPT.endedAfterCutoff);
    expect(sooner['failed-membership-attempts'].matched).toBe(go['failed-membership-attempts'] + SIZE.stay);
    expect(sooner['login-attempts']).toMatchObject({ retentionDays: 45, matched: 0 }); // successes follow retention_days only

    // The cut-off never falls inside a window the procedures count failures over.
    await db.query("UPDATE ecliptix_internal.settings SET value = '90' WHERE name = 'failed_attempt_retention_days'");
    await db.query("UPDATE ecliptix_internal.settings SET value = '100 days' WHERE name = 'login_attempt_window'");
    await db.query("UPDATE ecliptix_internal.settings SET value = '100 days' WHERE name = 'membership_attempt_window'");
    const windows = byRule((await cleanup({ ...target.config, db, dryRun: true })).rules);
    expect(windows['failed-login-attempts'].matched).toBe(0);
    expect(windows['failed-membership-attempts'].matched).toBe(0);
    await db.query("UPDATE ecliptix_internal.settings SET value = '5 minutes' WHERE name = 'login_attempt_window'");
    await db.query("UPDATE ecliptix_internal.settings SET value = '100 days' WHERE name = 'key_release_window'");
    expect(byRule((await cleanup({ ...target.config, db, dryRun: true })).rules)['failed-login-attempts'].matched).toBe(0);

    // limit_guard_retention_days.
    await db.query("UPDATE ecliptix_internal.settings SET value = '2' WHERE name = 'limit_guard_retention_days'");
    const guards = await cleanup({ ...target.config, db, dryRun: true });
    expect(guards.limitGuardRetentionDays).toBe(2);
    expect(byRule(guards.rules)['limit-guards'].matched).toBe(0);
    expect(byRule((await cleanup({ ...target.config, db, dryRun: true, limitGuardRetentionDays: 1 })).rules)['limit-guards'].matched).toBe(
      go['limit-guards'],
    );
  });

  it('limit-guards: each batch reads one slice of the primary key, whatever matches, so a few old guards among many recent ones cost one pass', async () => {
    const { target, db } = fresh;
    const go = expectedGo(SIZE);
    await db.exec(`
      INSERT INTO ecliptix_internal.limit_guards (key, touched_at)
      SELECT 'login:+1' || lpad(i::text, 10, '0'), now() - interval '1 hour' FROM generate_series(1, 20000) i
      UNION ALL
      SELECT 'phone:' || i, now() - interval '3 days' FROM generate_series(1, 10) i;
      ANALYZE ecliptix_internal.limit_guards;`);
    const rule = RETENTION_RULES.find((r) => r.rule === 'limit-guards')!;
    const cutoff = (await db.query<{ c: string }>("SELECT (now() - interval '1 day')::text AS c")).rows[0]!.c;
    // (Its count, once per run, reads the whole table: touched_at has no index on purpose — it would cost
    // every take_guard its HOT update.)
    for (const start of ['', 'login:+10000010000']) {
      const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (FORMAT JSON) ${sqlFile('operations/cleanup/limit-guards-batch.sql')}`,
        batchParams(rule, cutoff, 5000, [start]),
      );
      const raw = rows[0]!['QUERY PLAN'];
      const nodes = planNodes(((typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[])[0]!.Plan);
      const shown = nodes.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']].filter(Boolean).join(' ')).join(' > ');
      expect(
        nodes.filter((n) => n['Node Type'] === 'Seq Scan'),
        shown,
      ).toEqual([]);
      expect(
        nodes.some((n) => String(n['Node Type']).startsWith('Index') && n['Index Name'] === 'limit_guards_pkey'),
        shown,
      ).toBe(true);
    }
    // The old guards sort last ('phone:' after 'login:'): the walk goes on through slices that change nothing.
    const guards = byRule((await cleanup({ ...target.config, db, batchSize: 5000 })).rules)['limit-guards'];
    const total = go['limit-guards'] + SIZE.stay + 20_010;
    expect(guards).toMatchObject({
      matched: go['limit-guards'] + 10,
      affected: go['limit-guards'] + 10,
      batches: Math.ceil(total / 5000),
      remaining: 0,
    });
    const left = await db.query<{ n: number; old: number }>(
      "SELECT count(*)::int AS n, count(*) FILTER (WHERE touched_at < now() - interval '1 day')::int AS old FROM ecliptix_internal.limit_guards",
    );
    expect(left.rows[0]).toEqual({ n: SIZE.stay + 20_000, old: 0 });
  });

  it('stops cleanly between batches when asked (Ctrl-C), keeping whole batches only; the next run finishes', async () => {
    const { target, db } = fresh;
    const controller = new AbortController();
    const go = expectedGo(SIZE);
    const loaded = await labelOutcome(db, go);
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
    expect(stopped.rules[0]).toMatchObject({ rule: 'abandoned-flows', affected: 20, batches: 2, remaining: go['abandoned-flows'] - 20 });
    expect((await labelOutcome(db, go)).rules['abandoned-flows']).toEqual({ goDone: 20, goLeft: go['abandoned-flows'] - 20 });

    const rest = await cleanup({ ...target.config, db, batchSize: 10 });
    expect(byRule(rest.rules)['abandoned-flows'].affected).toBe(go['abandoned-flows'] - 20);
    expectOutcome(await labelOutcome(db, go), loaded, go, go);
  });

  it('bad settings and an undeployed database: exit 5 with a clear message, nothing changed', async () => {
    const { target, db } = fresh;
    const before = await snapshot(db);
    await db.query("UPDATE ecliptix_internal.settings SET value = 'thirty' WHERE name = 'retention_days'");
    await expect(cleanup({ ...target.config, db })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      exitCode: 5,
      message: expect.stringContaining('ecliptix setting "retention_days" must be an integer, found "thirty"'),
    });
    await db.query("UPDATE ecliptix_internal.settings SET value = '0' WHERE name = 'retention_days'");
    await expect(cleanup({ ...target.config, db })).rejects.toMatchObject({
      exitCode: 5,
      message: expect.stringContaining('the setting retention_days is 0: it must be at least 1 day'),
    });
    // a retention given as an option does not need the setting
    expect((await cleanup({ ...target.config, db, dryRun: true, retentionDays: 30 })).retentionDays).toBe(30);
    await db.query("UPDATE ecliptix_internal.settings SET value = '0' WHERE name = 'failed_attempt_retention_days'");
    await expect(cleanup({ ...target.config, db, retentionDays: 30 })).rejects.toMatchObject({
      exitCode: 5,
      message: expect.stringContaining('the setting failed_attempt_retention_days is 0: it must be at least 1 day'),
    });
    // A schema from before V015: the setting is missing.
    await db.query("DELETE FROM ecliptix_internal.settings WHERE name = 'failed_attempt_retention_days'");
    await expect(cleanup({ ...target.config, db, retentionDays: 30 })).rejects.toMatchObject({
      exitCode: 5,
      message: expect.stringMatching(/failed_attempt_retention_days.*run `ecliptix-persistor migrate`/),
    });
    expect(await snapshot(db)).toEqual(before);

    if (engine === 'pglite') return; // the undeployed case is the same code on both engines; PGlite starts slowly
    const empty = await createTestDatabase(engine);
    try {
      const emptyDb = await empty.open();
      try {
        await expect(cleanup({ ...empty.config, db: emptyDb })).rejects.toMatchObject({
          exitCode: 5,
          message: expect.stringContaining('not deployed'),
        });
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
    for (const options of [
      { retentionDays: 0 },
      { eventLogRetentionDays: -1 },
      { retentionDays: 1.5 },
      { failedAttemptRetentionDays: 0 },
      { limitGuardRetentionDays: 36_501 },
      { batchSize: 0 },
      { batchSize: 1_000_000 },
    ]) {
      await expect(cleanup({ ...nowhere, ...options }), JSON.stringify(options)).rejects.toMatchObject({ exitCode: 2 });
    }
  });

  it('flags, environment and config', async () => {
    const cases: { args: string[]; env?: Record<string, string>; message: string }[] = [
      { args: ['cleanup', '--retention-days', 'thirty'], message: '--retention-days must be a whole number (got "thirty")' },
      { args: ['cleanup', '--batch-size', '0'], message: 'batch size must be a whole number between 1 and 100000 (got 0)' },
      {
        args: ['cleanup', '--event-log-retention-days', '0'],
        message: 'event log retention days must be a whole number of days between 1 and 36500 (got 0)',
      },
      {
        args: ['cleanup'],
        env: { ECLIPTIX_RETENTION_DAYS: '0' },
        message: 'retentionDays (from ECLIPTIX_RETENTION_DAYS) must be at least 1 day',
      },
      {
        args: ['cleanup', '--failed-attempt-retention-days', 'x'],
        message: '--failed-attempt-retention-days must be a whole number (got "x")',
      },
      {
        args: ['cleanup', '--failed-attempt-retention-days', '0'],
        message: 'failed attempt retention days must be a whole number of days between 1 and 36500 (got 0)',
      },
      {
        args: ['cleanup'],
        env: { ECLIPTIX_FAILED_ATTEMPT_RETENTION_DAYS: '0' },
        message: 'failedAttemptRetentionDays (from ECLIPTIX_FAILED_ATTEMPT_RETENTION_DAYS) must be at least 1 day',
      },
      {
        args: ['cleanup', '--limit-guard-retention-days', '36501'],
        message: 'limit guard retention days must be a whole number of days between 1 and 36500 (got 36501)',
      },
      {
        args: ['cleanup'],
        env: { ECLIPTIX_LIMIT_GUARD_RETENTION_DAYS: '1.5' },
        message: 'limitGuardRetentionDays (from ECLIPTIX_LIMIT_GUARD_RETENTION_DAYS) must be a whole number of days',
      },
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
      const go = expectedGo(SIZE);
      await live.query('BEGIN');
      const held = {
        // rows a rule takes (held by a routine: skipped, not waited for)
        'verification-flows': await live.query(
          'SELECT id FROM ecliptix.verification_flows WHERE connection_id = 1 ORDER BY id LIMIT 3 FOR UPDATE',
        ),
        'abandoned-flows': await live.query(
          'SELECT id FROM ecliptix.verification_flows WHERE connection_id = 4 ORDER BY id LIMIT 2 FOR UPDATE',
        ),
        'failed-login-attempts': await live.query(
          "SELECT id FROM ecliptix.login_attempts WHERE outcome = 'go-failed' ORDER BY id LIMIT 3 FOR UPDATE",
        ),
        'limit-guards': await live.query(
          "SELECT key FROM ecliptix_internal.limit_guards WHERE key LIKE 'cleanup-go:%' ORDER BY key LIMIT 1 FOR UPDATE",
        ),
        // the flow of an active OTP with a failed check: finished-flow-otps must not change the OTP while the flow is held
        'finished-flow-otps': await live.query(
          "SELECT f.id FROM ecliptix.verification_flows f JOIN ecliptix.otp_records o ON o.flow_unique_id = f.unique_id AND o.otp_hash = 'orphan-failed' ORDER BY f.id LIMIT 1 FOR UPDATE OF f",
        ),
      };
      expect(Object.values(held).map((r) => r.rowCount)).toEqual([3, 2, 3, 1, 1]);
      const started = Date.now();
      const first = byRule((await cleanup({ ...target.config, db, batchSize: 10 })).rules);
      expect(Date.now() - started).toBeLessThan(10_000); // it did not wait for the lock holder
      expect(first['verification-flows']).toMatchObject({ affected: go['verification-flows'] - 3, remaining: 3 });
      expect(first['abandoned-flows']).toMatchObject({ affected: go['abandoned-flows'] - 2, remaining: 2 });
      // the OTPs of the two flows still pending are not taken yet; the one whose flow is held is skipped
      expect(first['finished-flow-otps']).toMatchObject({
        matched: go['finished-flow-otps'] - 2,
        affected: go['finished-flow-otps'] - 3,
        remaining: 1,
      });
      expect(first['failed-login-attempts']).toMatchObject({ affected: go['failed-login-attempts'] - 3, remaining: 3 });
      expect(first['limit-guards']).toMatchObject({ affected: go['limit-guards'] - 1, remaining: 1 });
      await live.query('COMMIT');

      const second = byRule((await cleanup({ ...target.config, db, batchSize: 10 })).rules);
      expect(second['verification-flows']).toMatchObject({ affected: 3, remaining: 0 });
      expect(second['abandoned-flows']).toMatchObject({ affected: 2, remaining: 0 });
      expect(second['finished-flow-otps']).toMatchObject({ affected: 3, remaining: 0 });
      expect(second['failed-login-attempts']).toMatchObject({ affected: 3, remaining: 0 });
      expect(second['limit-guards']).toMatchObject({ affected: 1, remaining: 0 });
      expect(Object.values(second).reduce((sum, r) => sum + r.affected, 0)).toBe(12);
      const outcome = await labelOutcome(db, go);
      for (const rule of RULE_NAMES) expect({ rule, ...outcome.rules[rule] }).toEqual({ rule, goDone: go[rule], goLeft: 0 });

      // another clean-up holds the clean-up lock
      await live.query('SELECT pg_advisory_lock($1::bigint)', [CLEANUP_LOCK_KEY]);
      await expect(cleanup({ ...target.config, db })).rejects.toMatchObject({
        code: 'LOCK_TIMEOUT',
        exitCode: 1,
        message: expect.stringContaining('another clean-up is running'),
      });
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
    expect(matchedOf(JSON.parse(dry.stdout))).toEqual(go);

    const loaded = await labelOutcome(db, go);
    const { child, exited } = spawnCli([...target.cliArgs, 'cleanup', '--batch-size', '20', '--json']);
    // Wait until it is part-way through the first rule, then press Ctrl-C.
    for (let i = 0; i < 400; i++) {
      const n = (
        await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM ecliptix.verification_flows WHERE status = 'expired' AND connection_id IN (3, 4)",
        )
      ).rows[0]!.n;
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
    expect(flows.rule).toBe('abandoned-flows');
    expect(flows.affected).toBeLessThan(go['abandoned-flows']);
    expect(flows.affected % 20).toBe(0);
    expect(outcome.rules['abandoned-flows'].goDone).toBe(flows.affected);
    expect(report.rules).toHaveLength(1);
    expect(outcome.rules['verification-flows'].goDone).toBe(0);
    expect(outcome.rules['event-log'].goDone).toBe(0);

    const rest = await runCli([...target.cliArgs, 'cleanup', '--batch-size', '1000']);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toMatch(/done: \d+ row\(s\) cleaned up in/);
    expectOutcome(await labelOutcome(db, go), loaded, go, go);
  });
});
