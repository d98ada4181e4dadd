/**
 * `import` (#15) of damaged input: a missing column, a dangling reference, a
 * malformed GUID or date, a truncated file, a value bcp cannot carry. Each is
 * exit 5 (the CLI) / status invalid (the API) with the table, the row or line
 * and the column named — never a secret's value — and the target unchanged,
 * on both engines.
 */
import { readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeProblem } from '../../src/cli/commands/import.js';
import { importDatabase } from '../../src/commands/import.js';
import { generateKeyring, keyringToText } from '../../src/client/keyring.js';
import type { Queryable } from '../../src/db/database.js';
import { snapshotAllTables } from '../schema/journey.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, engines, freshDatabaseEach } from '../support/databases.js';
import { makeDataset, writeFiles, writeStagingSchema, type Dataset } from './dataset.js';

const DATA_KEYS = generateKeyring('data-2026');

/** Replaces the `field`-th field (0-based) of line `line` (1-based) of a bcp file. */
function editBcpField(path: string, line: number, field: number, value: string): void {
  const lines = readFileSync(path, 'utf8').split('\r\n');
  const fields = lines[line - 1]!.split('\t');
  fields[field] = value;
  lines[line - 1] = fields.join('\t');
  writeFileSync(path, lines.join('\r\n'));
}

async function importInvalid(db: Queryable & { engine?: string }, options: Parameters<typeof importDatabase>[0]) {
  const before = await snapshotAllTables(db);
  const report = await importDatabase({ dataKeys: DATA_KEYS, ...options });
  expect(report.status).toBe('invalid');
  expect(report.tables.every((t) => t.written === 0)).toBe(true);
  expect(await snapshotAllTables(db)).toEqual(before);
  return report;
}

describe.each(engines)('damaged import input on %s', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });
  let data: Dataset;
  const small = () => (data = makeDataset({ members: 20, seed: 7 }));

  it('a staging schema without a column, of the wrong type, or without a table: each named, nothing written, the staging schema kept', async () => {
    const { db } = fresh;
    await writeStagingSchema(db, small());
    await db.exec('alter table ecliptix_import.memberships drop column verification_flow_id');
    await db.exec('alter table ecliptix_import.app_devices alter column unique_id type text');
    await db.exec('drop table ecliptix_import.event_log');
    const report = await importInvalid(db, { db });
    expect(report.problems).toEqual([
      {
        table: 'AppDevices',
        column: 'UniqueId',
        problem: expect.stringMatching(/^is text in ecliptix_import\.app_devices; expected UNIQUEIDENTIFIER \(uuid\)/),
      },
      { table: 'Memberships', column: 'VerificationFlowId', problem: 'is missing from ecliptix_import.memberships' },
      { table: 'EventLog', problem: expect.stringMatching(/^no table EventLog in schema ecliptix_import/) },
    ]);
    expect((await db.query("select 1 from pg_namespace where nspname = 'ecliptix_import'")).rows).toHaveLength(1);
  });

  it('dangling references, a NULL, a duplicate UniqueId, an unknown status and a bad LOCKED_UNTIL: table, row Id and column named, with the count per kind', async () => {
    const { db } = fresh;
    await writeStagingSchema(db, small());
    await db.exec(`
      update ecliptix_import.memberships set phone_number_id = gen_random_uuid() where id in (2, 3);
      update ecliptix_import.otp_records set phone_number_id = 999999 where id = 4;
      update ecliptix_import.verification_flows set status = 'done' where id = 1;
      update ecliptix_import.app_devices set unique_id = (select unique_id from ecliptix_import.app_devices where id = 1) where id = 2;
      update ecliptix_import.login_attempts set outcome = 'LOCKED_UNTIL:2025-02-30T10:00:00' where id = 5;
      alter table ecliptix_import.phone_numbers alter column phone_number drop not null;
      update ecliptix_import.phone_numbers set phone_number = null where id = 6;`);
    const report = await importInvalid(db, { db });
    const at = (table: string, column: string) => report.problems.filter((p) => p.table === table && p.column === column);
    expect(at('Memberships', 'PhoneNumberId')).toEqual([
      { table: 'Memberships', column: 'PhoneNumberId', row: 2, problem: 'refers to a PhoneNumbers.UniqueId that is not there', rows: 2 },
      { table: 'Memberships', column: 'PhoneNumberId', row: 3, problem: 'refers to a PhoneNumbers.UniqueId that is not there', rows: 2 },
    ]);
    expect(at('OtpRecords', 'PhoneNumberId')).toEqual([
      { table: 'OtpRecords', column: 'PhoneNumberId', row: 4, problem: 'refers to a PhoneNumbers.Id that is not there', rows: 1 },
    ]);
    expect(at('VerificationFlows', 'Status')).toEqual([
      { table: 'VerificationFlows', column: 'Status', row: 1, problem: 'is not one of pending, verified, expired, failed', rows: 1 },
    ]);
    expect(at('AppDevices', 'UniqueId').map((p) => [p.row, p.problem])).toEqual([
      [1, 'appears more than once'],
      [2, 'appears more than once'],
    ]);
    expect(at('LoginAttempts', 'Outcome')).toEqual([
      {
        table: 'LoginAttempts',
        column: 'Outcome',
        row: 5,
        problem: expect.stringMatching(/^is LOCKED_UNTIL: without a valid time/),
        rows: 1,
      },
    ]);
    expect(at('PhoneNumbers', 'PhoneNumber')).toEqual([
      { table: 'PhoneNumbers', column: 'PhoneNumber', row: 6, problem: 'is NULL', rows: 1 },
    ]);
    // Each kind counted once (its listed rows all carry its total).
    const kinds = new Map(report.problems.map((p) => [`${p.table}.${p.column}: ${p.problem}`, p.rows!]));
    expect(report.problemCount).toBe([...kinds.values()].reduce((a, b) => a + b, 0));
    expect(report.problemCount).toBeLessThan(report.problems.reduce((n, p) => n + p.rows!, 0));
  });

  it('bcp files with a malformed GUID, date, BIT and key, a missing file, a truncated file: file, line and column named; a key is never shown', async () => {
    const { target } = fresh;
    small();
    const dir = join(target.workDir, 'bcp');
    const paths = await writeFiles(data, dir, { format: 'bcp' });
    editBcpField(paths.AppDevices!, 3, 7, 'D9A8C7B6-1234-5678-9ABC');
    editBcpField(paths.VerificationFlows!, 2, 5, '2025-13-01 00:00:00.0000000');
    editBcpField(paths.Memberships!, 4, 9, 'yes');
    editBcpField(paths.Memberships!, 5, 4, 'NOT-HEX-SECRET-KEY');
    truncateSync(paths.LoginAttempts!, statSync(paths.LoginAttempts!).size - 12);
    rmSync(paths.EventLog!);

    const report = await importInvalid(fresh.db, { db: fresh.db, source: { directory: dir } });
    const lines = data.rows.LoginAttempts!.length;
    expect(report.problems).toEqual(
      expect.arrayContaining([
        { table: 'EventLog', problem: `no file for EventLog in ${dir} (expected EventLog.bcp or EventLog.csv)` },
        { table: 'AppDevices', file: 'AppDevices.bcp', line: 3, column: 'UniqueId', problem: 'is not a GUID ("D9A8C7B6-1234-5678-9ABC")' },
        {
          table: 'VerificationFlows',
          file: 'VerificationFlows.bcp',
          line: 2,
          column: 'ExpiresAt',
          problem: 'is not a valid date and time ("2025-13-01 00:00:00.0000000")',
        },
        { table: 'Memberships', file: 'Memberships.bcp', line: 4, column: 'IsDeleted', problem: 'is not a BIT (0 or 1) ("yes")' },
        { table: 'Memberships', file: 'Memberships.bcp', line: 5, column: 'SecureKey', problem: 'is not VARBINARY as hexadecimal' },
        {
          table: 'LoginAttempts',
          file: 'LoginAttempts.bcp',
          problem: 'the file does not end with a row terminator: it was cut short (truncated export or copy)',
        },
        expect.objectContaining({ table: 'LoginAttempts', file: 'LoginAttempts.bcp', line: lines }),
      ]),
    );
    expect(JSON.stringify(report)).not.toContain('NOT-HEX-SECRET-KEY');
  });

  it('a file with more bad values than are listed: every line read, every problem counted, the first 20 listed', async () => {
    const { db, target } = fresh;
    small();
    const dir = join(target.workDir, 'bcp');
    const paths = await writeFiles(data, dir, { format: 'bcp' });
    expect(data.rows.LoginAttempts!.length).toBeGreaterThan(40);
    for (let line = 1; line <= 30; line++) editBcpField(paths.LoginAttempts!, line, 4, 'maybe');
    editBcpField(paths.LoginAttempts!, 40, 1, '2026-02-30 00:00:00.0000000');
    const report = await importInvalid(db, { db, source: { directory: dir } });
    const listed = report.problems.filter((p) => p.table === 'LoginAttempts');
    expect(listed).toHaveLength(20);
    expect(listed[0]).toEqual({
      table: 'LoginAttempts',
      file: 'LoginAttempts.bcp',
      line: 1,
      column: 'IsSuccess',
      problem: 'is not a BIT (0 or 1) ("maybe")',
    });
    expect(report.problemCount).toBe(31);
  });

  it('CSV files a quote breaks inside an OTP hash and a secure key: file, line and column named, the value read so far in no output', async () => {
    const { db, target } = fresh;
    small();
    const dir = join(target.workDir, 'csv');
    const paths = await writeFiles(data, dir, { format: 'csv' });
    /** Puts `value` unquoted as `column` of line `line` (1-based) of a CSV file without quoted commas in that row. */
    const editCsvField = (path: string, line: number, column: string, value: string): void => {
      const lines = readFileSync(path, 'utf8').split('\n');
      const at = lines[0]!.split(',').indexOf(column);
      const fields = lines[line - 1]!.split(',');
      fields[at] = value;
      lines[line - 1] = fields.join(',');
      writeFileSync(path, lines.join('\n'));
    };
    editCsvField(paths.OtpRecords!, 3, 'OtpHash', 'OTPHASHMARKER"cut');
    editCsvField(paths.Memberships!, 2, 'SecureKey', 'ABCDEF0123SECUREKEYMARKER"cut');

    const report = await importInvalid(db, { db, source: { directory: dir } });
    expect(report.problems).toEqual(
      expect.arrayContaining([
        {
          table: 'OtpRecords',
          file: 'OtpRecords.csv',
          line: 3,
          column: 'OtpHash',
          problem: 'unreadable CSV: a quote inside a field that is not quoted (quote the whole field, doubling its quotes)',
        },
        {
          table: 'Memberships',
          file: 'Memberships.csv',
          line: 2,
          column: 'SecureKey',
          problem: 'unreadable CSV: a quote inside a field that is not quoted (quote the whole field, doubling its quotes)',
        },
      ]),
    );
    const printed = JSON.stringify(report) + report.problems.map(describeProblem).join('\n');
    for (const marker of ['OTPHASHMARKER', 'SECUREKEYMARKER', 'ABCDEF0123']) expect(printed).not.toContain(marker);
  });

  it('CSV files: a missing header column, a malformed date, a dangling reference after loading (named by line); the CLI exits 5 with the report and writes nothing', async () => {
    const target = await createTestDatabase(engine, { withSchema: true });
    try {
      small();
      const dir = join(target.workDir, 'csv');
      const paths = await writeFiles(data, dir, { format: 'csv' });
      const devices = readFileSync(paths.AppDevices!, 'utf8').split('\n');
      devices[0] = devices[0]!.replace(',DeviceType', ',Kind');
      writeFileSync(paths.AppDevices!, devices.join('\n'));
      const flows = readFileSync(paths.VerificationFlows!, 'utf8').split('\n');
      flows[3] = flows[3]!.replace(/(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d{7})/, '$1T25:$2');
      writeFileSync(paths.VerificationFlows!, flows.join('\n'));
      const attempts = readFileSync(paths.MembershipAttempts!, 'utf8').split('\n');
      attempts[2] = attempts[2]!.replace(/^(\d+),[0-9A-F-]{36}/, '$1,00000000-0000-4000-8000-000000000000');
      writeFileSync(paths.MembershipAttempts!, attempts.join('\n'));

      const env = { ECLIPTIX_DATA_KEYS: keyringToText(DATA_KEYS) };
      const db = await target.open();
      const before = await snapshotAllTables(db);
      await db.close();
      const run = await runCli([...target.cliArgs, 'import', '--files', dir, '--json'], { env, timeoutMs: 120_000 });
      expect(run.code).toBe(5);
      expect(run.stderr).toBe('error: the input is not valid (2 problem(s)); nothing was written\n');
      const report = JSON.parse(run.stdout) as { status: string; problems: unknown[] };
      expect(report.status).toBe('invalid');
      // Values that cannot be read stop the import before references are checked.
      expect(report.problems).toEqual([
        { table: 'AppDevices', file: 'AppDevices.csv', line: 1, column: 'DeviceType', problem: 'the header has no such column' },
        {
          table: 'VerificationFlows',
          file: 'VerificationFlows.csv',
          line: 4,
          column: 'ExpiresAt',
          problem: expect.stringMatching(/^is not a DATETIME2 .*T25:/),
        },
      ]);

      // Fixed files: the dangling reference is found after loading, named by its file and line.
      devices[0] = devices[0]!.replace(',Kind', ',DeviceType');
      writeFileSync(paths.AppDevices!, devices.join('\n'));
      writeFileSync(paths.VerificationFlows!, readFileSync(paths.VerificationFlows!, 'utf8').replace(/T25:/g, ' '));
      const text = await runCli([...target.cliArgs, 'import', '--files', dir], { env, timeoutMs: 120_000 });
      expect(text.code).toBe(5);
      const id = Number(attempts[2]!.split(',')[0]);
      expect(text.stdout).toBe(
        `the input is not valid: 1 problem(s); nothing was written\n  MembershipAttempts.PhoneNumberId, row Id ${id}, MembershipAttempts.csv line 3: refers to a PhoneNumbers.UniqueId that is not there\n`,
      );
      const after = await target.open();
      try {
        expect(await snapshotAllTables(after)).toEqual(before);
      } finally {
        await after.close();
      }
    } finally {
      await target.drop();
    }
  });
});
