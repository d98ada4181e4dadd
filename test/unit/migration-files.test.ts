/** Parsing migration names and directives, and ordering repeatables — no database needed. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checksumOf,
  compareVersions,
  flywayDescription,
  isValidVersion,
  loadMigrations,
  normaliseVersion,
  parseMigration,
} from '../../src/migrator/files.js';
import { flywayChecksum, parseFlywayTable, planFlywayAdoption, type FlywayRow } from '../../src/migrator/flyway.js';
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
  it("a Flyway folder's other files: undo migrations skipped (Flyway's migrate skips them too), callbacks and baseline migrations refused by name", async () => {
    const withUndo = await loadMigrations(folder({ 'V1__a.sql': 'select 1', 'U1__a.sql': 'select 2', 'sub/U2_1__b.sql': 'select 3' }));
    expect(withUndo.map((m) => m.script)).toEqual(['V1__a.sql']);
    const error = await loadMigrations(
      folder({ 'V1__a.sql': 'select 1', 'beforeMigrate.sql': 'select 2', 'afterEachMigrateError__log.sql': 'x', 'B2__base.sql': 'y' }),
    ).catch((e: Error & { details?: string[] }) => e);
    const text = `${(error as Error).message}\n${((error as { details?: string[] }).details ?? []).join('\n')}`;
    expect(text).toContain('beforeMigrate.sql: a Flyway callback, which this migrator does not run');
    expect(text).toContain('afterEachMigrateError__log.sql: a Flyway callback');
    expect(text).toContain('B2__base.sql: a Flyway baseline migration');
  });

  it('parses versioned and repeatable names, normalising versions', () => {
    expect(parseMigration('a/V001__init.sql', 'select 1')).toMatchObject({
      type: 'versioned',
      version: '1',
      description: 'init',
      transactional: true,
    });
    expect(parseMigration('V1.10__x.sql', '')).toMatchObject({ version: '1.10' });
    expect(parseMigration('R__views.sql', '-- persistor:depends-on a, b\n-- persistor:depends-on c')).toMatchObject({
      type: 'repeatable',
      dependsOn: ['a', 'b', 'c'],
    });
    expect(parseMigration('V2__idx.sql', '-- persistor:no-transaction\n')).toMatchObject({ transactional: false });
    expect(parseMigration('notes.sql', '')).toBeUndefined();
  });

  it('reads versions as Flyway does: digits separated by . or _', () => {
    expect(parseMigration('V1_1__x.sql', '')).toMatchObject({ type: 'versioned', version: '1.1', description: 'x' });
    expect(parseMigration('V2.3.4__y_z.sql', '')).toMatchObject({ version: '2.3.4', description: 'y_z' });
    expect(parseMigration('V2_03_4__y.sql', '')).toMatchObject({ version: '2.3.4' });
    expect(parseMigration('V001__z.sql', '')).toMatchObject({ version: '1' });
    expect(parseMigration('V1__a_b.sql', '')).toMatchObject({ version: '1', description: 'a_b' });
    expect(flywayDescription('add_email_column')).toBe('add email column');
    expect(normaliseVersion('1_01')).toBe('1.1');
    expect(isValidVersion('1_1')).toBe(true);
    expect(isValidVersion('1__1')).toBe(false);
    for (const bad of ['V1_x__y.sql', 'V_1__x.sql', 'V1.__x.sql']) expect(parseMigration(bad, '')).toBeUndefined();
  });

  it('refuses two files with the same version, however written, naming both', async () => {
    await expect(
      loadMigrations(folder({ 'V1_1__a.sql': '', 'V1.1__b.sql': '', 'V2__c.sql': '', 'V2.0__d.sql': '' })),
    ).rejects.toMatchObject({
      code: 'MIGRATION_FILES_INVALID',
      details: ['V1_1__a.sql: version 1.1 is also defined by V1.1__b.sql', 'V2__c.sql: version 2 is also defined by V2.0__d.sql'],
    });
  });

  it('orders a Flyway folder 1, 1.1, 2, 10', async () => {
    const loaded = await loadMigrations(folder({ 'V10__d.sql': '', 'V2__c.sql': '', 'V1_1__b.sql': '', 'V1__a.sql': '', 'R__v.sql': '' }));
    expect(loaded.map((m) => m.script)).toEqual(['V1__a.sql', 'V1_1__b.sql', 'V2__c.sql', 'V10__d.sql', 'R__v.sql']);
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
      details: [
        'oops.sql: not a migration name (expected V<version>__<description>.sql, the version digits separated by . or _, or R__<description>.sql)',
        'b/V01__b.sql: version 1 is also defined by V1__a.sql',
      ],
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
    const plan = computePlan(
      [],
      [
        {
          installedRank: 1,
          version: '1',
          description: 'gone',
          type: 'versioned',
          script: 'V1__gone.sql',
          checksum: 'x',
          installedBy: 'u',
          installedAt: new Date(),
          executionMs: 1,
          success: true,
        },
      ],
    );
    expect(plan.problems).toEqual([]);
    expect(plan.warnings).toEqual(['V1__gone.sql: recorded as applied, but no such migration file exists any more']);
    expect(plan.statuses[0]!.state).toBe('missing');
  });
});

describe('adopting a Flyway history', () => {
  const files = [
    parseMigration('V1__a.sql', 'create table a ();\n')!,
    parseMigration('V1_1__b.sql', 'create table b ();\n')!,
    parseMigration('V2__c.sql', 'create table c ();\n')!,
    parseMigration('V3__d.sql', 'create table d ();\n')!,
    parseMigration('R__v.sql', 'create view v as select 1;\n')!,
    parseMigration('R__w_x.sql', 'create view w as select 2;\n')!,
  ];
  let rank = 0;
  const row = (version: string | null, description: string, checksum: number | null, extra: Partial<FlywayRow> = {}): FlywayRow => ({
    installedRank: ++rank,
    version,
    description,
    type: 'SQL',
    script: version === null ? `R__${description.replace(/ /g, '_')}.sql` : `V${version}__${description}.sql`,
    checksum,
    success: true,
    ...extra,
  });

  it("computes Flyway's checksum: CRC32 of the lines, line ends left out, signed", () => {
    expect(flywayChecksum('')).toBe(0);
    expect(flywayChecksum('a\r\nb\n')).toBe(flywayChecksum('a\nb'));
    expect(flywayChecksum('\uFEFFa\nb')).toBe(flywayChecksum('ab'));
    // CRC32("123456789") is 0xcbf43926, which Java's int reads as negative.
    expect(flywayChecksum('123456789')).toBe(0xcbf43926 | 0);
  });

  it('baselines every file up to the highest version, and only the unchanged repeatables', () => {
    const adoption = planFlywayAdoption(
      'public.flyway_schema_history',
      [
        row('1', 'a', 1),
        row('1.1', 'b', 2),
        row('2', 'c', 3),
        row(null, 'v', flywayChecksum('create view v as select 1;\n')),
        row(null, 'w x', 12345),
      ],
      files,
    );
    expect(adoption.version).toBe('2');
    expect(adoption.versioned.map((m) => m.script)).toEqual(['V1__a.sql', 'V1_1__b.sql', 'V2__c.sql']);
    expect(adoption.repeatables.map((m) => m.script)).toEqual(['R__v.sql']);
    expect(adoption.repeatablesPending.map((m) => m.script)).toEqual(['R__w_x.sql']);
  });

  it("counts files below Flyway's own baseline as adopted", () => {
    const adoption = planFlywayAdoption('t', [row('1.1', '<< Flyway Baseline >>', null, { type: 'BASELINE' }), row('2', 'c', 3)], files);
    expect(adoption.versioned.map((m) => m.script)).toEqual(['V1__a.sql', 'V1_1__b.sql', 'V2__c.sql']);
  });

  it('refuses failed rows, versions without files, and files Flyway skipped', () => {
    expect(() => planFlywayAdoption('t', [row('1', 'a', 1), row('1.1', 'b', 2, { success: false })], files)).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        exitCode: 5,
        details: [
          expect.stringMatching(
            /^t installed_rank \d+ \(version 1\.1, V1\.1__b\.sql\): failed in Flyway \(success false\); repair it with Flyway first$/,
          ),
        ],
      }),
    );
    expect(() => planFlywayAdoption('t', [row('1', 'a', 1), row('4', 'e', 2)], files)).toThrow(
      expect.objectContaining({
        details: expect.arrayContaining([expect.stringContaining('Flyway applied version 4, but no migration file has that version')]),
      }),
    );
    expect(() => planFlywayAdoption('t', [row('1', 'a', 1), row('2', 'c', 2)], files)).toThrow(
      expect.objectContaining({ details: ["V1_1__b.sql: version 1.1 is below Flyway's highest (2) but Flyway never applied it"] }),
    );
    expect(() => planFlywayAdoption('t', [], files)).toThrow(/records no successful versioned migration/);
  });

  it('accepts only plain schema.table names', () => {
    expect(parseFlywayTable('flyway.flyway_schema_history')).toEqual({ schema: 'flyway', table: 'flyway_schema_history' });
    expect(parseFlywayTable('history')).toEqual({ schema: null, table: 'history' });
    for (const bad of ['a.b.c', 'x"; drop table y; --', '', 'a.', '1a.b']) {
      expect(() => parseFlywayTable(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', exitCode: 2 }));
    }
  });
});
