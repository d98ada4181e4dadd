/** `doctor`'s configuration view: where each value came from (loadConfig's provenance), secrets masked; phone numbers and keys masked in messages. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, provenanceOf } from '../../src/config/load.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { maskSensitive } from '../../src/operations/doctor.js';
import { describeConfig, describeSecrets, secretsOf } from '../../src/operations/doctor-environment.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'persistor-doctor-'));
  dirs.push(dir);
  return dir;
}

describe('configuration provenance', () => {
  it('loadConfig records where each value came from, for the config it returned and no other object', () => {
    const dir = scratch();
    const file = join(dir, 'ecliptix-persistor.config.json');
    writeFileSync(file, JSON.stringify({ lockTimeoutMs: 1000, backupDir: 'backups' }));
    const loaded = loadConfig({ cwd: dir, env: { ECLIPTIX_CONNECT_TIMEOUT_MS: '2000' }, flags: { dataDir: '/flag/db' } });
    expect(provenanceOf(loaded.config)).toEqual({ origins: loaded.origins, configFile: file });
    expect(loaded.origins).toEqual({
      lockTimeoutMs: file,
      backupDir: file,
      connectTimeoutMs: 'ECLIPTIX_CONNECT_TIMEOUT_MS',
      dataDir: '--data-dir',
    });
    expect(provenanceOf({ ...loaded.config })).toBeUndefined();
    expect(provenanceOf(resolveConfig({}))).toBeUndefined();
    // Without a config file: no configFile.
    expect(provenanceOf(loadConfig({ cwd: scratch(), env: {} }).config)).toEqual({ origins: {} });
  });

  it('describeConfig names a flag, a variable, the file, a default or a programmatic option for each key', () => {
    const dir = scratch();
    const file = join(dir, 'ecliptix-persistor.config.json');
    writeFileSync(file, JSON.stringify({ lockTimeoutMs: 1000 }));
    const { config, origins, configFile } = loadConfig({
      cwd: dir,
      env: { DATABASE_URL: 'postgres://app:s3cret-pass@db.internal:5432/m?sslpassword=keypass&sslmode=require' },
      flags: { dataDir: '/flag/db' },
    });
    const described = Object.fromEntries(describeConfig(config, { origins, ...(configFile ? { configFile } : {}) }).map((c) => [c.key, c]));
    expect(described.databaseUrl).toEqual({
      key: 'databaseUrl',
      value: 'postgres://app:****@db.internal:5432/m?sslpassword=****&sslmode=require',
      source: 'environment',
      from: 'DATABASE_URL',
    });
    expect(described.dataDir).toEqual({ key: 'dataDir', value: '/flag/db', source: 'flag', from: '--data-dir' });
    expect(described.lockTimeoutMs).toEqual({ key: 'lockTimeoutMs', value: 1000, source: 'file', from: file });
    expect(described.connectTimeoutMs).toEqual({ key: 'connectTimeoutMs', value: 10_000, source: 'default' });
    expect(described.migrationsDir).toEqual({ key: 'migrationsDir', source: 'default' });

    const programmatic = describeConfig(resolveConfig({ lockTimeoutMs: 5 }), { given: new Set(['lockTimeoutMs']) });
    expect(programmatic.find((c) => c.key === 'lockTimeoutMs')).toEqual({ key: 'lockTimeoutMs', value: 5, source: 'options' });
  });

  it("masks a cluster's URLs and its proxy login's password", () => {
    const config = resolveConfig({
      cluster: {
        proxy: 'postgres://deployer:proxypw@db0:5432/ecliptix_proxy',
        partitions: ['postgres://deployer:p0pw@db0:5432/ecliptix_p0', 'postgres://deployer:p1pw@db1:5432/ecliptix_p1'],
        proxyLogin: { user: 'login', password: 'loginpw' },
      },
    });
    const text = JSON.stringify(describeConfig(config, {}));
    for (const secret of ['proxypw', 'p0pw', 'p1pw', 'loginpw']) expect(text).not.toContain(secret);
    expect(text).toContain('postgres://deployer:****@db1:5432/ecliptix_p1');
    expect(secretsOf(config, {})).toEqual(expect.arrayContaining(['proxypw', 'p0pw', 'p1pw', 'loginpw']));
  });
});

describe('secrets', () => {
  const dataKeys = 'k2:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=,k1:MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXY=';

  it('says whether each keyring is set and its key ids, never a key', () => {
    const described = describeSecrets({ ECLIPTIX_DATA_KEYS: dataKeys });
    expect(described).toEqual([
      { name: 'ECLIPTIX_DATA_KEYS', set: true, keyIds: ['k2', 'k1'] },
      { name: 'ECLIPTIX_OTP_KEYS', set: false },
    ]);
    // A key written without its id is not mistaken for one.
    expect(describeSecrets({ ECLIPTIX_OTP_KEYS: 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=' })[1]).toEqual({
      name: 'ECLIPTIX_OTP_KEYS',
      set: true,
    });
  });

  it('secretsOf lists the passwords of the URL and every key, whole and alone', () => {
    const secrets = secretsOf(resolveConfig({ databaseUrl: 'postgres://app:pw%21x@db/m' }), { ECLIPTIX_DATA_KEYS: dataKeys });
    expect(secrets).toEqual(
      expect.arrayContaining([
        'pw%21x',
        'pw!x',
        dataKeys,
        'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=',
        'MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXY=',
      ]),
    );
  });
});

describe('maskSensitive', () => {
  it('keeps the last two digits of a phone number, with or without +', () => {
    expect(maskSensitive('merged +447700900123 into 447700900124')).toBe('merged +**********23 into **********24');
  });

  it('replaces a key-like token whole, and leaves dates, ids and words alone', () => {
    expect(maskSensitive('secure key QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY= rejected')).toBe('secure key **** rejected');
    const plain = 'flow 550e8400-e29b-41d4-a716-446655440000 at 2026-12-02 04:01:06 in phone_number_merged (17 rows)';
    expect(maskSensitive(plain)).toBe(plain);
  });
});
