/**
 * `metrics`: the Prometheus text is what a Prometheus parser reads, each
 * activity figure counts the rows placed in its window with the test clock,
 * a database that cannot be reached is pg_up 0 (and exit 3) rather than no
 * file, the textfile is written whole or not at all, and no output holds a
 * phone number.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type ParsedMetricFamily } from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { health } from '../../src/commands/health.js';
import { metrics } from '../../src/commands/metrics.js';
import { LIMIT_NAMES } from '../../src/operations/metrics.js';
import { compareVersions, loadMigrations } from '../../src/migrator/files.js';
import { shippedMigrationsDir } from '../../src/sql-files.js';
import { clientFixtureEach, nextUsPhone, registeredDevice, verifiedClientFlow, wrongCode } from '../client/client-harness.js';
import { runCli } from '../support/cli.js';
import { setClockOffset } from '../support/clock.js';
import { createTestDatabase, engines, withOpenDatabase } from '../support/databases.js';

/** The value of `name`'s sample with exactly `labels` (undefined when there is none). */
function valueOf(families: readonly ParsedMetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const metric = family?.metrics.find(
    (m) => JSON.stringify(Object.entries(m.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()),
  );
  return metric?.value === undefined ? undefined : Number(metric.value);
}

describe.each(engines)('metrics on %s', (engine) => {
  const fx = clientFixtureEach(engine);

  it('counts the activity of each window, the locked phones and the migration state, in text a Prometheus parser reads', async () => {
    const { client, db } = fx;
    // Two hours ago: one verified flow (in the day's window, not the hour's).
    await setClockOffset(db, -7200);
    const earlier = await verifiedClientFlow(client, { phoneNumber: nextUsPhone(), purpose: 'registration' });
    expect((await client.createMembership({ flowId: earlier.flowId, otpId: earlier.otpId })).outcome).toBe('created');
    await setClockOffset(db, 0);
    // Now: a sign-up with a confirmed sign-in, a flow with a wrong code, and a number locked after 5 failures.
    const phone = nextUsPhone();
    const now = await verifiedClientFlow(client, { phoneNumber: phone, purpose: 'registration' });
    const membership = await client.createMembership({ flowId: now.flowId, otpId: now.otpId });
    if (membership.outcome !== 'created') throw new Error(membership.outcome);
    await client.setSecureKey({ membershipId: membership.membershipId, flowId: now.flowId, secureKey: Buffer.alloc(32, 7) });
    expect((await client.login(phone)).outcome).toBe('success');
    expect(await client.confirmLogin(phone)).toEqual({ outcome: 'confirmed' });
    const deviceId = await registeredDevice(client);
    const other = await client.ensurePhoneNumber({ phoneNumber: nextUsPhone(), appDeviceId: deviceId });
    if (!('phoneId' in other)) throw new Error(other.outcome);
    const flow = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId: other.phoneId, purpose: 'registration' });
    if (flow.outcome !== 'created') throw new Error(flow.outcome);
    const code = await client.issueOtp(flow.flow.flowId);
    if (code.outcome !== 'issued') throw new Error(code.outcome);
    expect((await client.verifyOtp(flow.flow.flowId, wrongCode(code.code))).outcome).toBe('invalid_code');
    const locked = nextUsPhone();
    for (let i = 0; i < 5; i++) await client.logLoginAttempt({ phoneNumber: locked, outcome: 'invalid_passphrase', isSuccess: false });

    await health({ db });
    const report = await metrics({ db });
    expect(report.up).toBe(true);
    const families = parsePrometheusTextFormat(report.exposition);
    expect(families.every((f) => f.type === 'GAUGE')).toBe(true);
    const expected: [string, Record<string, string>, number][] = [
      ['pg_up', {}, 1],
      ['ecliptix_verification_flows_started', { window: '1h' }, 2],
      ['ecliptix_verification_flows_started', { window: '24h' }, 3],
      ['ecliptix_verification_flows_verified', { window: '1h' }, 1],
      ['ecliptix_verification_flows_verified', { window: '24h' }, 2],
      ['ecliptix_otp_codes_issued', { window: '1h' }, 2],
      ['ecliptix_otp_codes_issued', { window: '24h' }, 3],
      ['ecliptix_otp_checks_failed', { window: '1h' }, 1],
      ['ecliptix_memberships_created', { window: '1h' }, 1],
      ['ecliptix_memberships_created', { window: '24h' }, 2],
      ['ecliptix_sign_ins', { window: '1h', result: 'success' }, 1],
      ['ecliptix_sign_ins', { window: '1h', result: 'key_released' }, 1],
      ['ecliptix_sign_ins', { window: '1h', result: 'failure' }, 5],
      ['ecliptix_lockouts_started', { window: '1h' }, 1],
      ['ecliptix_locked_phone_numbers', {}, 1],
      ['ecliptix_schema_up_to_date', {}, 1],
      ['ecliptix_schema_complete', {}, 1],
      ['ecliptix_schema_objects', { state: 'missing' }, 0],
      ['ecliptix_schema_migrations', { state: 'pending' }, 0],
      ['ecliptix_table_rows', { table: 'memberships' }, 2],
      // The failure that started the lockout is the failed_logins limit's one hit (V020).
      ['ecliptix_limit_hits', { period: 'last_24_hours', limit: 'failed_logins' }, 1],
      ['ecliptix_limit_hits', { period: 'last_24_hours', limit: 'flows_per_phone' }, 0],
      // From the snapshot of the health run just before.
      ['ecliptix_health_check_level', { check: 'invalid-indexes' }, 0],
    ];
    for (const [name, labels, value] of expected) expect(valueOf(families, name, labels), `${name} ${JSON.stringify(labels)}`).toBe(value);
    const versions = (await loadMigrations(shippedMigrationsDir)).flatMap((m) => (m.version === undefined ? [] : [m.version]));
    const newest = versions.sort((a, b) => compareVersions(a, b)).at(-1)!;
    expect(valueOf(families, 'ecliptix_schema_version_info', { version: newest })).toBe(1);
    expect(valueOf(families, 'ecliptix_schema_migrations', { state: 'applied' })).toBeGreaterThanOrEqual(versions.length);
    expect(Number(families.find((f) => f.name === 'pg_database_size_bytes')!.metrics[0]!.value)).toBeGreaterThan(0);
    // The current clock hour's count: 1, or 0 when the hour turned between the lockout and the scrape.
    expect([0, 1]).toContain(valueOf(families, 'ecliptix_limit_hits', { period: 'this_hour', limit: 'failed_logins' }));
    expect(report.errors).toEqual([]);
    const lastRun = valueOf(families, 'ecliptix_health_last_run_timestamp_seconds')!;
    expect(Math.abs(lastRun - Date.now() / 1000)).toBeLessThan(120);
    // No phone number, whole or in part of its subscriber digits, in any output.
    for (const number of [phone, locked]) expect(report.exposition).not.toContain(number.slice(-7));
  });
});

describe('the limits metrics names', () => {
  it('are exactly those limit_hits allows (its CHECK constraint)', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      const definition = await withOpenDatabase(target, async (db) =>
        (
          await db.query<{ def: string }>(
            `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
              WHERE c.conrelid = 'ecliptix_internal.limit_hits'::regclass AND c.contype = 'c' AND pg_get_constraintdef(c.oid) LIKE '%limit_name%'`,
          )
        ).rows.map((r) => r.def),
      );
      expect(definition).toHaveLength(1);
      const allowed = [...definition[0]!.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]);
      expect([...allowed].sort()).toEqual([...LIMIT_NAMES].sort());
    } finally {
      await target.drop();
    }
  });
});

describe('metrics on the command line (server)', () => {
  it('prints the exposition, writes a textfile atomically, and says pg_up 0 with exit 3 when the server cannot be reached', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      const printed = await runCli([...target.cliArgs, 'metrics']);
      expect(printed.stderr).toBe('');
      expect(printed.code).toBe(0);
      expect(valueOf(parsePrometheusTextFormat(printed.stdout), 'pg_up')).toBe(1);

      const file = join(target.workDir, 'ecliptix.prom');
      writeFileSync(file, 'stale\n');
      const written = await runCli([...target.cliArgs, 'metrics', '--textfile', file]);
      expect(written.code).toBe(0);
      expect(written.stdout).toBe('');
      const text = readFileSync(file, 'utf8');
      expect(valueOf(parsePrometheusTextFormat(text), 'ecliptix_schema_up_to_date')).toBe(1);
      expect(statSync(file).mode & 0o777).toBe(0o644);
      expect(readdirSync(target.workDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);

      const json = await runCli([...target.cliArgs, 'metrics', '--json']);
      expect(json.code).toBe(0);
      const document = JSON.parse(json.stdout) as { up: boolean; unreachable: unknown[]; samples: { name: string }[] };
      expect(document).toMatchObject({ up: true, unreachable: [] });
      expect(document.samples.map((s) => s.name)).toContain('ecliptix_locked_phone_numbers');

      const down = await runCli([
        '--database-url',
        'postgres://postgres:secret-pw@127.0.0.1:1/nowhere',
        '--connect-timeout',
        '2000',
        'metrics',
        '--textfile',
        file,
      ]);
      expect(down.code).toBe(3);
      expect(down.stderr).toContain('could not collect from postgres://postgres:****@127.0.0.1:1/nowhere');
      expect(down.stderr + down.stdout).not.toContain('secret-pw');
      const downText = readFileSync(file, 'utf8');
      expect(valueOf(parsePrometheusTextFormat(downText), 'pg_up')).toBe(0);
      expect(downText).not.toContain('ecliptix_schema_up_to_date');

      const warned = await runCli([...target.cliArgs, 'metrics', '--textfile', join(target.workDir, 'metrics.txt')]);
      expect(warned.code).toBe(0);
      expect(warned.stderr).toContain('reads only files ending in .prom');
      expect(existsSync(join(target.workDir, 'metrics.txt'))).toBe(true);
      const noDirectory = await runCli([...target.cliArgs, 'metrics', '--textfile', join(target.workDir, 'missing', 'x.prom')]);
      expect(noDirectory.code).toBe(1);
      expect(noDirectory.stderr).toContain('cannot write');
      const missingValue = await runCli([...target.cliArgs, 'metrics', '--textfile']);
      expect(missingValue.code).toBe(2);
    } finally {
      await target.drop();
    }
  });
});
