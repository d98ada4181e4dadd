/**
 * Secrets on disk and in `ps`: the client tools get no password on their
 * command line (whether the URL carries it in the user info or the query),
 * backups and their directory are private to their owner on both engines
 * (whatever the umask), and the development secrets file is checked on every
 * load, created atomically, and never mixed with keys from the environment.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { KeyError } from '../../src/client/errors.js';
import { generateKeyring, keyringToText, loadSecrets } from '../../src/client/keyring.js';
import { cliPath, type CliResult } from '../support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;
const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/** Runs `program args…` under umask 000 with a clean environment: the modes seen are then the ones the code chose, not the umask's. */
function runUnmasked(program: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'umask 000 && exec "$@"', 'sh', program, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

const runCliUnmasked = (args: readonly string[], env?: NodeJS.ProcessEnv) => runUnmasked(process.execPath, [cliPath, ...args], env);

describe('client tools never get a password on their command line', () => {
  const role = `persistor_tools_${randomBytes(4).toString('hex')}`;
  const adminUrl = inject('adminUrl');
  let realBin: string;
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version_num']);
      realBin = `/usr/lib/postgresql/${Math.floor(Number(rows[0]!.v) / 10_000)}/bin`;
      // A real login role with a password (the test server trusts local connections, so any password is accepted).
      await admin.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD 'not-the-one-in-the-url'`);
    } finally {
      await admin.end();
    }
  });
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await admin.end();
    }
  });

  /**
   * A directory of pg_dump, pg_restore and psql that record, one file per run,
   * their arguments, the password and service file they were given, then exec
   * the real tool.
   */
  function recordingTools(dir: string): {
    bin: string;
    runs(): { tool: string; args: string[]; env: Record<string, string>; serviceFile?: string; serviceFilePath?: string }[];
  } {
    const bin = join(dir, 'bin');
    const log = join(dir, 'argv');
    mkdirSync(bin);
    mkdirSync(log);
    for (const tool of ['pg_dump', 'pg_restore', 'psql']) {
      const script = [
        '#!/bin/sh',
        `out="${log}/$$-${tool}"`,
        `printf '%s\\n' "${tool}" > "$out"`,
        `for arg in "$@"; do printf 'arg %s\\n' "$arg" >> "$out"; done`,
        `printf 'env PGPASSWORD=%s\\n' "\${PGPASSWORD-<unset>}" >> "$out"`,
        `if [ -n "\${PGSERVICEFILE-}" ]; then printf 'env PGSERVICE=%s\\nservicefile-path %s\\nservicefile-mode %s\\n' "$PGSERVICE" "$PGSERVICEFILE" "$(stat -c %a "$PGSERVICEFILE")" >> "$out"; sed 's/^/servicefile /' "$PGSERVICEFILE" >> "$out"; fi`,
        `exec "${realBin}/${tool}" "$@"`,
        '',
      ].join('\n');
      writeFileSync(join(bin, tool), script, { mode: 0o755 });
    }
    return {
      bin,
      runs: () =>
        readdirSync(log).map((name) => {
          const lines = readFileSync(join(log, name), 'utf8').split('\n').filter(Boolean);
          const env = Object.fromEntries(
            lines.filter((l) => l.startsWith('env ')).map((l) => l.slice(4).split(/=(.*)/s).slice(0, 2) as [string, string]),
          );
          const service = lines.filter((l) => l.startsWith('servicefile ')).map((l) => l.slice('servicefile '.length));
          return {
            tool: lines[0]!,
            args: lines.filter((l) => l.startsWith('arg ')).map((l) => l.slice(4)),
            env,
            ...(service.length
              ? {
                  serviceFile: `mode ${lines.find((l) => l.startsWith('servicefile-mode '))!.slice('servicefile-mode '.length)}\n${service.join('\n')}`,
                  serviceFilePath: lines.find((l) => l.startsWith('servicefile-path '))!.slice('servicefile-path '.length),
                }
              : {}),
          };
        }),
    };
  }

  it(
    'backup and restore with the password in the user info, in the query, or both (and an sslpassword): none reaches argv, all work',
    { timeout: 240_000 },
    async () => {
      const target = await createTestDatabase('postgres', { withSchema: true });
      try {
        const base = new URL(target.config.databaseUrl!);
        const database = base.pathname.slice(1);
        const secret = () => `pw-${randomBytes(9).toString('base64url')}`;
        const [inInfo, inQuery, bothInfo, bothQuery, keyPass] = [secret(), secret(), secret(), secret(), secret()];
        const host = `${base.hostname}:${base.port || 5432}`;
        const cases = [
          {
            name: 'user-info',
            url: `postgres://${role}:${inInfo}@${host}/${database}`,
            password: inInfo,
            argvUrl: `postgres://${role}@${host}/${database}`,
          },
          {
            name: 'query',
            url: `postgres://${role}@${host}/${database}?password=${inQuery}`,
            password: inQuery,
            argvUrl: `postgres://${role}@${host}/${database}`,
          },
          {
            name: 'both',
            url: `postgres://${role}:${bothInfo}@${host}/${database}?sslmode=disable&password=${bothQuery}&sslpassword=${keyPass}&application_name=at%20rest`,
            password: bothQuery, // the query wins, as in libpq and node-postgres
            argvUrl: `postgres://${role}@${host}/${database}?sslmode=disable&application_name=at%20rest`,
          },
        ];
        const allSecrets = [inInfo, inQuery, bothInfo, bothQuery, keyPass];
        for (const each of cases) {
          const dir = join(target.workDir, each.name);
          mkdirSync(dir);
          const tools = recordingTools(dir);
          const file = join(dir, 'backup.dump');
          const made = await runCliUnmasked(['-s', each.url, 'backup', '--pg-bin', tools.bin, '--output', file, '--json']);
          expect(made.code, made.stderr).toBe(0);
          expect(JSON.parse(made.stdout)).toMatchObject({ file, format: 'pg_dump-custom' });
          const restored = await runCliUnmasked(['-s', each.url, 'restore', file, '--force', '--pg-bin', tools.bin, '--json']);
          expect(restored.code, restored.stderr).toBe(0);
          expect(JSON.parse(restored.stdout).tables.find((t: { table: string }) => t.table === 'memberships')).toEqual({
            table: 'memberships',
            rows: 0,
          });

          const runs = tools.runs();
          const connecting = runs.filter((r) => r.args.some((a) => a.startsWith('--dbname=')));
          expect(connecting.map((r) => r.tool).sort()).toEqual(['pg_dump', 'psql']);
          for (const run of runs) {
            for (const arg of run.args) for (const password of allSecrets) expect(arg, `${run.tool} argument`).not.toContain(password);
          }
          for (const run of connecting) {
            expect(run.args).toContain(`--dbname=${each.argvUrl}`); // the same server, user and options, without the password
            expect(run.env.PGPASSWORD).toBe(each.password); // the password arrives, through the environment
          }
          const withService = connecting.filter((r) => r.serviceFile);
          if (each.name === 'both') {
            // libpq reads an sslpassword from no environment variable: a private service file carries it, removed afterwards.
            expect(withService.map((r) => r.serviceFile)).toEqual([
              `mode 600\n[ecliptix-persistor]\nsslpassword=${keyPass}`,
              `mode 600\n[ecliptix-persistor]\nsslpassword=${keyPass}`,
            ]);
            for (const run of withService) expect(existsSync(join(run.serviceFilePath!, '..'))).toBe(false);
          } else {
            expect(withService).toEqual([]);
          }
          const output = made.stdout + made.stderr + restored.stdout + restored.stderr;
          for (const password of allSecrets) expect(output).not.toContain(password);
        }
      } finally {
        await target.drop();
      }
    },
  );
});

describe('a password in the query string is masked like one in the user info', () => {
  it('in the target shown, in connection failures and in configuration errors', async () => {
    const target = await createTestDatabase('postgres');
    try {
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      const keyPass = `kp-${randomBytes(9).toString('base64url')}`;
      const url = new URL(target.config.databaseUrl!);
      const withQuery = `postgres://postgres@${url.host}${url.pathname}?application_name=masked&password=${password}`;
      const connected = await runCliUnmasked(['test', '--json', '-s', withQuery]);
      expect(connected.code, connected.stderr).toBe(0);
      expect(JSON.stringify(JSON.parse(connected.stdout))).toContain(`?application_name=masked&password=****`);

      const unreachable = await runCliUnmasked([
        'test',
        '--connect-timeout',
        '2000',
        '-s',
        `postgres://someone:${password}@127.0.0.1:1/none?sslpassword=${keyPass}&password=${password}`,
      ]);
      expect(unreachable.code).toBe(3);
      expect(unreachable.stderr).toContain('postgres://someone:****@127.0.0.1:1/none?sslpassword=****&password=****');

      const invalid = await runCliUnmasked(['test', '-s', `postgres://someone:${password}@/none?password=${password}`]);
      expect(invalid.code).toBe(2);
      expect(invalid.stderr).toContain('"postgres://****@/none?password=****"');

      for (const run of [connected, unreachable, invalid]) {
        expect(run.stdout + run.stderr).not.toContain(password);
        expect(run.stdout + run.stderr).not.toContain(keyPass);
      }
    } finally {
      await target.drop();
    }
  });
});

describe.each(engines)('backups are private to their owner on %s', (engine) => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await createTestDatabase(engine, { withSchema: true });
  });
  afterEach(async () => {
    await target.drop();
  });

  it(
    'a new backup directory is 0700 and the backup 0600, even under umask 000; an existing directory keeps its mode',
    { timeout: 120_000 },
    async () => {
      const backups = join(target.workDir, 'new', 'backups');
      const made = await runCliUnmasked([...target.cliArgs, 'backup', '--json'], { ECLIPTIX_BACKUP_DIR: backups });
      expect(made.code, made.stderr).toBe(0);
      const file: string = JSON.parse(made.stdout).file;
      expect(octal(modeOf(join(target.workDir, 'new')))).toBe('0700');
      expect(octal(modeOf(backups))).toBe('0700');
      expect(octal(modeOf(file))).toBe('0600');
      expect(readdirSync(backups)).toEqual([file.slice(backups.length + 1)]);

      const shared = join(target.workDir, 'shared');
      mkdirSync(shared, { mode: 0o755 });
      chmodSync(shared, 0o755);
      const output = join(shared, `explicit${engine === 'postgres' ? '.dump' : '.tar.gz'}`);
      const second = await runCliUnmasked([...target.cliArgs, 'backup', '--output', output]);
      expect(second.code, second.stderr).toBe(0);
      expect(octal(modeOf(output))).toBe('0600');
      expect(octal(modeOf(shared))).toBe('0755'); // not ours to change
      expect(statSync(output).size).toBeGreaterThan(1000);
    },
  );
});

describe('the development secrets file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'persistor-dev-secrets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const keyringPath = pathToFileURL(join(cliPath, '..', '..', 'client', 'keyring.js')).href;

  /** Starts `count` processes that each load the secrets at the same moment (once all are ready, at a time given to all). */
  async function loadConcurrently(file: string, count: number): Promise<CliResult[]> {
    const script = join(dir, 'load.mjs');
    writeFileSync(
      script,
      `import { keyringToText, loadSecrets } from ${JSON.stringify(keyringPath)};
process.stdout.write('ready\\n');
process.stdin.once('data', (line) => {
  const start = Number(String(line));
  while (Date.now() < start); // every process leaves this loop at the same clock tick
  const secrets = loadSecrets({ env: {}, devSecretsFile: process.argv[2] });
  process.stdout.write(JSON.stringify({ otp: keyringToText(secrets.otpKeys), data: keyringToText(secrets.dataKeys) }));
  process.exit(0);
});
`,
    );
    const children = Array.from({ length: count }, () =>
      spawn('/bin/sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, script, file], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH },
      }),
    );
    const runs = children.map((child) => {
      let stdout = '';
      let stderr = '';
      let markReady!: () => void;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.startsWith('ready\n')) markReady();
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const done = new Promise<CliResult>((resolve) =>
        child.on('close', (code) => {
          markReady();
          resolve({ code: code ?? 1, stdout: stdout.replace(/^ready\n/, ''), stderr });
        }),
      );
      return { ready, done };
    });
    await Promise.all(runs.map((run) => run.ready));
    const start = Date.now() + 200;
    for (const child of children) child.stdin.end(`${start}\n`);
    return Promise.all(runs.map((run) => run.done));
  }

  it(
    'two (or six) first starts at once all succeed with the same keys, and the file is 0600 whatever the umask',
    { timeout: 120_000 },
    async () => {
      for (let round = 0; round < 4; round++) {
        const file = join(dir, `round-${round}`, '.ecliptix', 'dev-secrets.json');
        const results = await loadConcurrently(file, 6);
        expect(results.map((r) => [r.code, r.stderr])).toEqual(Array(6).fill([0, '']));
        const keys = results.map((r) => JSON.parse(r.stdout) as { otp: string; data: string });
        expect(new Set(keys.map((k) => `${k.otp}|${k.data}`)).size).toBe(1);
        expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ otpKeys: keys[0]!.otp, dataKeys: keys[0]!.data });
        expect(octal(modeOf(file))).toBe('0600');
        expect(octal(modeOf(join(dir, `round-${round}`, '.ecliptix')))).toBe('0700');
        expect(readdirSync(join(dir, `round-${round}`, '.ecliptix'))).toEqual(['dev-secrets.json']); // no temporary file left
      }
    },
  );

  it('its mode is checked on every load: readable or writable by group or others is refused, naming the file and the fix', () => {
    const file = join(dir, 'checked', 'dev-secrets.json');
    const first = loadSecrets({ env: {}, devSecretsFile: file });
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o660]) {
      chmodSync(file, mode);
      expect(() => loadSecrets({ env: {}, devSecretsFile: file })).toThrow(KeyError);
      expect(() => loadSecrets({ env: {}, devSecretsFile: file })).toThrow(
        `${file} holds secret keys but its mode is ${octal(mode)}: group or others can read or write it — run \`chmod 600 ${file}\``,
      );
    }
    chmodSync(file, 0o600);
    expect(keyringToText(loadSecrets({ env: {}, devSecretsFile: file }).dataKeys)).toBe(keyringToText(first.dataKeys));
    chmodSync(file, 0o400); // stricter than 0600 is fine
    expect(keyringToText(loadSecrets({ env: {}, devSecretsFile: file }).otpKeys)).toBe(keyringToText(first.otpKeys));
  });

  it('a damaged file is a KeyError naming it, not a crash', () => {
    const file = join(dir, 'damaged.json');
    writeFileSync(file, '{"otpKeys": ', { mode: 0o600 });
    expect(() => loadSecrets({ env: {}, devSecretsFile: file })).toThrow(
      new RegExp(`^${file} is not valid JSON .*delete it to generate new development keys$`),
    );
    writeFileSync(file, '{"otpKeys": "dev1:abc"}');
    expect(() => loadSecrets({ env: {}, devSecretsFile: file })).toThrow(`${file} must hold {"otpKeys"`);
  });

  it('one source of keys at a time: both variables -> the environment only; one of them -> a KeyError naming the other; neither -> the file', () => {
    const file = join(dir, 'sources', 'dev-secrets.json');
    const otp = keyringToText(generateKeyring('env-otp'));
    const data = keyringToText(generateKeyring('env-data'));

    const fromEnv = loadSecrets({
      env: { ECLIPTIX_OTP_KEYS: otp, ECLIPTIX_DATA_KEYS: data },
      devSecretsFile: file,
      onDevelopmentKeys: () => expect.fail('not development keys'),
    });
    expect([keyringToText(fromEnv.otpKeys), keyringToText(fromEnv.dataKeys)]).toEqual([otp, data]);
    expect(existsSync(file)).toBe(false); // the file is neither made nor read

    expect(() => loadSecrets({ env: { ECLIPTIX_OTP_KEYS: otp }, devSecretsFile: file })).toThrow(KeyError);
    expect(() => loadSecrets({ env: { ECLIPTIX_OTP_KEYS: otp }, devSecretsFile: file })).toThrow(
      /^ECLIPTIX_OTP_KEYS is set but ECLIPTIX_DATA_KEYS is not: set ECLIPTIX_DATA_KEYS too/,
    );
    expect(() => loadSecrets({ env: { ECLIPTIX_DATA_KEYS: data }, devSecretsFile: file })).toThrow(
      /^ECLIPTIX_DATA_KEYS is set but ECLIPTIX_OTP_KEYS is not: set ECLIPTIX_OTP_KEYS too/,
    );
    expect(() => loadSecrets({ env: { ECLIPTIX_DATA_KEYS: data } })).toThrow(/ECLIPTIX_OTP_KEYS is not/); // a server's configuration too
    expect(existsSync(file)).toBe(false);

    // Even with the file already there, one variable alone is refused rather than completed from it.
    const told: string[] = [];
    const fromFile = loadSecrets({ env: {}, devSecretsFile: file, onDevelopmentKeys: (f) => told.push(f) });
    expect(told).toEqual([file]);
    expect(() => loadSecrets({ env: { ECLIPTIX_OTP_KEYS: otp }, devSecretsFile: file })).toThrow(/ECLIPTIX_DATA_KEYS is not/);
    expect(keyringToText(loadSecrets({ env: {}, devSecretsFile: file }).otpKeys)).toBe(keyringToText(fromFile.otpKeys));
  });
});
