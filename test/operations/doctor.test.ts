/**
 * `doctor`: the issue-report bundle on a healthy database, with a failed
 * journal entry and a recorded error, and when the database cannot be reached
 * (refused, missing, in use) — always exit 0 with the recognised cause and
 * fix; secrets never in it; --output writes 0600 and never over a file
 * without --force (exit 2).
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { doctor, type DoctorReport } from '../../src/commands/doctor.js';
import { runCli } from '../support/cli.js';
import { setUpAppRole, type AppRole } from '../support/app-role.js';
import { createTestDatabase, engines, withOpenDatabase, type TestDatabase } from '../support/databases.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const DATA_KEYS = 'k2:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=,k1:MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXY=';
const OTP_KEYS = 'o1:b3RwLWtleS1vdHAta2V5LW90cC1rZXktb3RwLWtleS0=';
const SECRETS = [
  'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=',
  'MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXY=',
  'b3RwLWtleS1vdHAta2V5LW90cC1rZXktb3RwLWtleS0=',
];

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The URL with `password` put into its user info (the test server trusts, so it is never checked). */
function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

function parse(stdout: string): DoctorReport {
  return JSON.parse(stdout) as DoctorReport;
}

describe.each(engines)('doctor on %s', (engine) => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
  });
  afterEach(async () => {
    await target.drop();
  });

  it('reports a healthy migrated database: versions, where each value came from, status, no failed entries, nothing recognised', async () => {
    const configFile = join(target.workDir, 'ecliptix-persistor.config.json');
    writeFileSync(configFile, JSON.stringify({ lockTimeoutMs: 45_000 }));
    const result = await runCli([...target.cliArgs, 'doctor', '--json'], {
      cwd: target.workDir,
      env: { ECLIPTIX_CONNECT_TIMEOUT_MS: '7000', ECLIPTIX_DATA_KEYS: DATA_KEYS, ECLIPTIX_OTP_KEYS: OTP_KEYS },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const secret of [DATA_KEYS, OTP_KEYS, ...SECRETS]) expect(result.stdout).not.toContain(secret);
    const report = parse(result.stdout);
    expect(report.versions.tool).toEqual({ name: 'ecliptix-persistor', version: packageVersion });
    expect(report.versions.node).toBe(process.version);
    expect(report.versions.os.type).toBeTruthy();
    expect(report.versions.os.arch).toBe(process.arch);
    expect(report.versions.pglite).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.versions.database).toEqual({ engine, serverVersion: expect.stringMatching(/^PostgreSQL \d+/) });

    const values = Object.fromEntries(report.configuration.values.map((c) => [c.key, c]));
    expect(report.configuration.configFile).toBe(configFile);
    expect(values.lockTimeoutMs).toEqual({ key: 'lockTimeoutMs', value: 45_000, source: 'file', from: configFile });
    expect(values.connectTimeoutMs).toEqual({
      key: 'connectTimeoutMs',
      value: 7000,
      source: 'environment',
      from: 'ECLIPTIX_CONNECT_TIMEOUT_MS',
    });
    const flagged = engine === 'pglite' ? values.dataDir : values.databaseUrl;
    expect(flagged).toMatchObject({ source: 'flag', from: engine === 'pglite' ? '--data-dir' : '--database-url' });
    expect(values.logLevel).toEqual({ key: 'logLevel', value: 'warn', source: 'default' });

    expect(report.connection).toMatchObject({ ok: true, engine, canCreate: true });
    expect(report.status).toMatchObject({ engine, upToDate: true, counts: { pending: 0, problems: 0 } });
    expect(report.status!.schema!.complete).toBe(true);
    expect(report.failedMigrations).toEqual([]);
    expect(report.recordedErrors).toEqual([]);
    expect(report.notes).toEqual([]);
    expect(report.findings).toEqual([]);

    // The same for people.
    const text = await runCli([...target.cliArgs, 'doctor'], { cwd: target.workDir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Problems recognised: none');
    expect(text.stdout).toMatch(/lockTimeoutMs\s+45000\s+file /);
    expect(text.stdout).toContain('up to date: ');
    expect(text.stdout).toContain('Failed journal entries: none');
  });

  it('shows a failed journal entry and an error a routine recorded, each with its fix; phone numbers masked', async () => {
    await withOpenDatabase(target, async (db) => {
      await db.query(
        `INSERT INTO persistor.schema_history (version, description, type, script, checksum, execution_ms, success, statements_applied, failure)
         VALUES ('900', 'half applied', 'versioned', 'V900__half_applied.sql', 'abc', 3, false, 1,
                 'statement 2 of 2 (line 4: INSERT INTO app.missing_table VALUES (1)): relation "app.missing_table" does not exist')`,
      );
      await db.query(
        "INSERT INTO ecliptix.event_log (event_type, message) VALUES ('routine_error', 'ensure_phone_number failed for +447700900123: permission denied for table phone_numbers'), ('phone_number_merged', 'not an error')",
      );
    });
    const report = await doctor({ ...target.config });
    expect(report.connection.ok).toBe(true);
    expect(report.failedMigrations).toEqual([
      expect.objectContaining({
        version: '900',
        script: 'V900__half_applied.sql',
        statementsApplied: 1,
        failure: expect.stringContaining('does not exist'),
      }),
    ]);
    expect(report.recordedErrors).toEqual([
      expect.objectContaining({
        eventType: 'routine_error',
        message: 'ensure_phone_number failed for +**********23: permission denied for table phone_numbers',
      }),
    ]);
    const byRule = Object.fromEntries(report.findings.map((f) => [f.rule, f]));
    expect(byRule['dependency-order']).toMatchObject({ source: 'journal', seen: expect.stringContaining('V900__half_applied.sql failed') });
    expect(byRule['dependency-order']!.fix).toContain('ecliptix-persistor repair');
    expect(byRule['permission-denied']).toMatchObject({ source: 'event', fix: expect.stringContaining('ecliptix-persistor roles') });
    expect(JSON.stringify(report)).not.toContain('447700900123');
  });

  it("the application role missing a routine's grant: recognised, with `roles` as the fix", async () => {
    const admin = await target.open();
    let role: AppRole | undefined;
    try {
      role = await setUpAppRole(target, admin);
      await admin.exec(`REVOKE EXECUTE ON FUNCTION ecliptix.get_phone_number(uuid) FROM ${role.names.app}`);
      const report = await doctor({ ...target.config, db: admin });
      const finding = report.findings.find((f) => f.rule === 'grants-missing');
      expect(finding).toMatchObject({ seen: `role ${role.names.app} (application) may execute 18 of the 19 routines` });
      expect(finding!.fix).toContain('ecliptix-persistor roles');
    } finally {
      await admin.close();
      await target.drop();
      await role?.drop();
    }
  });

  it.runIf(engine === 'pglite')('a data directory another process holds: the report says so, with the fix, exit 0', async () => {
    const holder = await target.open();
    try {
      // Without a lock timeout configured it waits a few seconds, not the default minute.
      const started = Date.now();
      const result = await runCli([...target.cliArgs, 'doctor', '--json']);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(result.code).toBe(0);
      const report = parse(result.stdout);
      const configured = parse((await runCli([...target.cliArgs, '--lock-timeout', '300', 'doctor', '--json'])).stdout);
      expect(configured.connection).toMatchObject({ ok: false, code: 'DATABASE_IN_USE', error: expect.stringContaining('waited 300 ms') });
      expect(report.connection).toMatchObject({
        ok: false,
        code: 'DATABASE_IN_USE',
        error: expect.stringMatching(/is open in process \d+ .*waited 3000 ms/),
      });
      expect(report.status).toBeUndefined();
      expect(report.findings.map((f) => f.rule)).toEqual(['database-in-use']);
      expect(report.findings[0]!.fix).toContain('--lock-timeout');
    } finally {
      await holder.close();
    }
  });

  it.runIf(engine === 'postgres')(
    'a database that does not exist, and secrets: the report diagnoses it and never shows a password or key',
    async () => {
      const url = new URL(target.config.databaseUrl!);
      url.pathname = `/${url.pathname.slice(1)}_missing`;
      const missing = await runCli(['doctor', '--json'], { env: { DATABASE_URL: withPassword(url.toString(), 'Mi55ingDbPassw0rd') } });
      expect(missing.code).toBe(0);
      const report = parse(missing.stdout);
      expect(report.connection).toMatchObject({ ok: false, code: 'CONNECTION_FAILED' });
      expect(report.findings.map((f) => f.rule)).toEqual(['database-missing']);
      expect(report.findings[0]!.fix).toContain('createdb');
      expect(missing.stdout + missing.stderr).not.toContain('Mi55ingDbPassw0rd');

      // A reachable database, a password in the URL and both keyrings in the environment: none of them in any output.
      const password = 'S3cret-Passw0rd';
      const env = {
        DATABASE_URL: withPassword(target.config.databaseUrl!, password),
        ECLIPTIX_DATA_KEYS: DATA_KEYS,
        ECLIPTIX_OTP_KEYS: OTP_KEYS,
      };
      const file = join(target.workDir, 'doctor.json');
      const outputs = [
        await runCli(['doctor'], { env }),
        await runCli(['doctor', '--json'], { env }),
        await runCli(['doctor', '--json', '--output', file], { env }),
      ];
      for (const output of outputs) expect(output.code).toBe(0);
      const written = readFileSync(file, 'utf8');
      const everything = [...outputs.map((o) => o.stdout + o.stderr), written].join('\n');
      for (const secret of [password, DATA_KEYS, OTP_KEYS, ...SECRETS]) expect(everything).not.toContain(secret);
      const bundle = parse(written);
      expect(bundle.connection.ok).toBe(true);
      expect(bundle.configuration.secrets).toEqual([
        { name: 'ECLIPTIX_DATA_KEYS', set: true, keyIds: ['k2', 'k1'] },
        { name: 'ECLIPTIX_OTP_KEYS', set: true, keyIds: ['o1'] },
      ]);
      expect(bundle.configuration.values.find((c) => c.key === 'databaseUrl')!.value).toContain(':****@');
    },
  );
});

describe('doctor without a database', () => {
  it('a closed port: exit 0, the report names the refused connection, its cause and fix, without the password', async () => {
    const port = await closedPort();
    const password = 'Cl0sedP0rtPassword';
    const result = await runCli([
      'doctor',
      '--database-url',
      `postgres://postgres:${password}@127.0.0.1:${port}/memberships`,
      '--connect-timeout',
      '3000',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`UNREACHABLE  postgres://postgres:****@127.0.0.1:${port}/memberships`);
    expect(result.stdout).toContain('[connection-refused]');
    expect(result.stdout).toContain('likely cause: nothing listens at that host and port');
    expect(result.stdout).toContain('pg_isready');
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  it('a configuration that does not load: diagnosed in the report (exit 0), password masked; the API the same', async () => {
    const password = 'Inval1dConfPassw0rd';
    const result = await runCli(['doctor', '--json', '--database-url', `mysql://app:${password}@db.internal/m`], {
      env: { ECLIPTIX_DATA_KEYS: DATA_KEYS },
    });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(password);
    const report = parse(result.stdout);
    expect(report.configuration.error).toContain('databaseUrl (from --database-url) must be a URL like postgres://');
    expect(report.configuration.secrets[0]).toEqual({ name: 'ECLIPTIX_DATA_KEYS', set: true, keyIds: ['k2', 'k1'] });
    expect(report.connection).toMatchObject({ ok: false, code: 'INVALID_CONFIG' });
    expect(report.findings.map((f) => f.rule)).toEqual(['invalid-configuration']);

    const api = await doctor({ lockTimeoutMs: -1, env: {} });
    expect(api.configuration.error).toContain('lockTimeoutMs');
    expect(api.findings.map((f) => f.rule)).toEqual(['invalid-configuration']);
  });

  it('--output writes a new file with mode 0600, refuses an existing one without --force (exit 2), replaces it with --force', async () => {
    const target = await createTestDatabase('pglite');
    try {
      const dataDir = join(target.workDir, 'no-database-here');
      const file = join(target.workDir, 'report.txt');
      const first = await runCli(['--data-dir', dataDir, 'doctor', '--output', file]);
      expect(first.code).toBe(0);
      expect(first.stdout).toBe(`wrote ${file}: 1 problem(s) recognised\n`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toContain('[no-embedded-database]');
      expect(existsSync(dataDir)).toBe(false);

      writeFileSync(file, 'keep me');
      chmodSync(file, 0o644);
      const refused = await runCli(['--data-dir', dataDir, 'doctor', '--output', file]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`${file} exists: doctor does not overwrite a file unless --force is given`);
      expect(readFileSync(file, 'utf8')).toBe('keep me');

      const forced = await runCli(['--data-dir', dataDir, 'doctor', '--json', '--output', file, '--force']);
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.stdout)).toEqual({ output: file, findings: 1 });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(parse(readFileSync(file, 'utf8')).findings[0]!.rule).toBe('no-embedded-database');

      const unwritable = await runCli(['--data-dir', dataDir, 'doctor', '--output', join(target.workDir, 'no-such-dir', 'r.txt')]);
      expect(unwritable.code).toBe(1);
      expect(unwritable.stderr).toContain('cannot write the report to');
      const lonelyForce = await runCli(['doctor', '--force']);
      expect(lonelyForce.code).toBe(2);
    } finally {
      await target.drop();
    }
  });
});
