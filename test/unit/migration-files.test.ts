/** Parsing migration names and directives, and ordering repeatables — no database needed. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumOf, compareVersions, loadMigrations, parseMigration } from '../../src/migrator/files.js';
import { orderRepeatables } from '../../src/migrator/order.js';
import { computePlan } from '../../src/migrator/plan.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'persistor-files-'));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), sql);
  }
  return dir;
}

describe('migration files', () => {
  it('parses versioned and repeatable names, normalising versions', () => {
    expect(parseMigration('a/V001__init.sql', 'select 1')).toMatchObject({ type: 'versioned', version: '1', description: 'init', transactional: true });
    expect(parseMigration('V1.10__x.sql', '')).toMatchObject({ version: '1.10' });
    expect(parseMigration('R__views.sql', '-- persistor:depends-on a, b\n-- persistor:depends-on c')).toMatchObject({ type: 'repeatable', dependsOn: ['a', 'b', 'c'] });
    expect(parseMigration('V2__idx.sql', '-- persistor:no-transaction\n')).toMatchObject({ transactional: false });
    expect(parseMigration('notes.sql', '')).toBeUndefined();
  });

  it('rejects unknown directives and depends-on in versioned files', () => {
    expect(() => parseMigration('V1__a.sql', '-- persistor:no-transactions')).toThrow(/unknown directive "-- persistor:no-transactions"/);
    expect(() => parseMigration('V1__a.sql', '-- persistor:depends-on x')).toThrow(/depends-on is for repeatable migrations/);
  });

  it('compares versions numerically, not as text', () => {
    expect(compareVersions('2', '10')).toBeLessThan(0);
    expect(compareVersions('1.2', '1.10')).toBeLessThan(0);
    expect(compareVersions('1.0', '1')).toBe(0);
  });

  it('checksums ignore CRLF versus LF', () => {
    expect(checksumOf('a\r\nb\r\n')).toBe(checksumOf('a\nb\n'));
    expect(checksumOf('a\nb\n')).not.toBe(checksumOf('a\nb'));
  });

  it('loads a folder recursively in version order and reports bad names and duplicates together', async () => {
    const good = await loadMigrations(folder({ 'x/V10__ten.sql': '', 'V2__two.sql': '', 'y/R__r.sql': '' }));
    expect(good.map((m) => m.script)).toEqual(['V2__two.sql', 'x/V10__ten.sql', 'y/R__r.sql']);
    await expect(loadMigrations(folder({ 'V1__a.sql': '', 'b/V01__b.sql': '', 'oops.sql': '', 'README.md': '' }))).rejects.toMatchObject({
      code: 'MIGRATION_FILES_INVALID',
      exitCode: 5,
      details: ['oops.sql: not a migration name (expected V<number>__<description>.sql or R__<description>.sql)', 'b/V01__b.sql: version 1 is also defined by V1__a.sql'],
    });
    await expect(loadMigrations('/nonexistent/dir')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('repeatable order', () => {
  const r = (description: string, dependsOn: string[] = [], folderName = 'f') =>
    parseMigration(`${folderName}/R__${description}.sql`, dependsOn.map((d) => `-- persistor:depends-on ${d}`).join('\n'))!;

  it('puts dependencies first, then orders by path', () => {
    const ordered = orderRepeatables([r('a', ['c']), r('b'), r('c', ['d']), r('d'), r('z', [], 'a-first')]);
    expect(ordered.map((m) => m.description)).toEqual(['z', 'b', 'd', 'c', 'a']);
  });

  it('names a missing dependency and a cycle', () => {
    expect(() => orderRepeatables([r('a', ['nope'])])).toThrow(/depends-on nope, but there is no repeatable migration R__nope.sql/);
    expect(() => orderRepeatables([r('a', ['b']), r('b', ['a']), r('c')])).toThrow(/in a cycle: a, b/);
  });
});

describe('plan', () => {
  it('marks missing files as warnings, not problems', () => {
    const plan = computePlan([], [
      { installedRank: 1, version: '1', description: 'gone', type: 'versioned', script: 'V1__gone.sql', checksum: 'x', installedBy: 'u', installedAt: new Date(), executionMs: 1, success: true },
    ]);
    expect(plan.problems).toEqual([]);
    expect(plan.warnings).toEqual(['V1__gone.sql: recorded as applied, but no such migration file exists any more']);
    expect(plan.statuses[0]!.state).toBe('missing');
  });
});
