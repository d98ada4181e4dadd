/**
 * Exported files into the staging tables: one file per original table, as
 * `bcp … out -c` writes it (tab-separated, no header, NULL as an empty field,
 * an empty string as a NUL character) or as CSV with a header row. Every
 * value is checked here — GUIDs, DATETIME2, BIT, integers, VARBINARY hex —
 * and written to the staging table with COPY as PostgreSQL CSV, so a
 * malformed value is reported with its file, line and column (never, for a
 * secret column, its value) instead of failing the COPY.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse, CsvError } from 'csv-parse';
import type { Connection } from '../../db/database.js';
import { PersistorError } from '../../errors.js';
import { sqlFile } from '../../sql-files.js';
import type { ImportProblem } from './report.js';
import { ORIGINAL_TABLES, matchKey, type ColumnKind, type OriginalColumn, type OriginalTable } from './tables.js';

/** How the SQL Server tables were exported: bcp native-character files or CSV with a header. */
export type FileFormat = 'bcp' | 'csv';

/** One exported table's file, matched to the original table it holds. */
export interface TableFile {
  table: OriginalTable;
  path: string;
  format: FileFormat;
}

/** Problems listed per file; the rest are counted (the whole file is still read and checked). */
const LISTED_PER_FILE = 20;
/** Rows per piece of COPY input. */
const ROWS_PER_CHUNK = 2000;

const BCP_EXTENSIONS = new Set(['.bcp', '.dat', '.tsv', '.txt']);

/**
 * The file of each original table in `dir`: `<Table>.<ext>` (also `dbo.<Table>`
 * or the snake_case name, any case); `.csv` is CSV, `.bcp` `.dat` `.tsv`
 * `.txt` are bcp character format, unless `format` says. A table without a
 * file is a problem; two files for one table is a usage error.
 */
export async function findTableFiles(
  dir: string,
  format: FileFormat | undefined,
): Promise<{ files: TableFile[]; problems: ImportProblem[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      `cannot read the import directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const files: TableFile[] = [];
  const problems: ImportProblem[] = [];
  for (const table of ORIGINAL_TABLES) {
    const matches = names.filter((name) => {
      const ext = extname(name).toLowerCase();
      if (ext !== '.csv' && !BCP_EXTENSIONS.has(ext)) return false;
      const stem = basename(name, extname(name)).replace(/^dbo\./i, '');
      return matchKey(stem) === matchKey(table.source);
    });
    if (matches.length > 1)
      throw new PersistorError('INVALID_ARGUMENT', `${dir} holds several files for ${table.source} (${matches.join(', ')}): keep one`);
    if (matches.length === 0) {
      problems.push({
        table: table.source,
        problem: `no file for ${table.source} in ${dir} (expected ${table.source}.bcp or ${table.source}.csv)`,
      });
      continue;
    }
    const name = matches[0]!;
    files.push({ table, path: join(dir, name), format: format ?? (extname(name).toLowerCase() === '.csv' ? 'csv' : 'bcp') });
  }
  return { files, problems };
}

const GUID = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,7})?Z?$/;
const INTEGER = /^[+-]?\d{1,20}$/;
const HEX = /^(?:0x)?((?:[0-9a-fA-F]{2})*)$/;
const RANGES: Partial<Record<ColumnKind, [bigint, bigint]>> = {
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  smallint: [-(2n ** 15n), 2n ** 15n - 1n],
};

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return MONTH_DAYS[month - 1]! + (leap ? 1 : 0);
}

/** A value as PostgreSQL CSV, or why it is not one of its kind. */
function convert(column: OriginalColumn, raw: string | null): { csv: string } | { problem: string } {
  // An empty value where no empty string can be meant (a number, a GUID, a date, a key, a region) is NULL,
  // however the exporting tool quoted it.
  if (raw === null || (raw === '' && (column.kind !== 'text' || column.nullable))) return { csv: '' };
  switch (column.kind) {
    case 'text':
      if (raw.includes('\u0000')) {
        // bcp writes an empty string as one NUL character; PostgreSQL text holds no NUL.
        if (raw === '\u0000') return { csv: '""' };
        return { problem: 'contains a NUL character' };
      }
      return { csv: `"${raw.replace(/"/g, '""')}"` };
    case 'guid': {
      const match = GUID.exec(raw.trim());
      return match ? { csv: match[1]!.toLowerCase() } : { problem: 'is not a GUID' };
    }
    case 'datetime': {
      const match = DATETIME.exec(raw.trim());
      if (!match) return { problem: 'is not a DATETIME2 (yyyy-mm-dd hh:mm:ss[.fffffff])' };
      const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
      if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
        return { problem: 'is not a valid date and time' };
      }
      return { csv: `${match.slice(1, 4).join('-')} ${match.slice(4, 7).join(':')}${match[7] ?? ''}` };
    }
    case 'bit': {
      const value = raw.trim().toLowerCase();
      if (value === '1' || value === 'true') return { csv: 't' };
      if (value === '0' || value === 'false') return { csv: 'f' };
      return { problem: 'is not a BIT (0 or 1)' };
    }
    case 'binary': {
      const match = HEX.exec(raw.trim());
      return match ? { csv: `\\x${match[1]!.toLowerCase()}` } : { problem: 'is not VARBINARY as hexadecimal' };
    }
    default: {
      const value = raw.trim();
      const [min, max] = RANGES[column.kind]!;
      if (!INTEGER.test(value)) return { problem: `is not a whole number (${column.kind.toUpperCase()})` };
      const n = BigInt(value);
      if (n < min || n > max) return { problem: `is out of range for ${column.kind.toUpperCase()}` };
      return { csv: n.toString() };
    }
  }
}

/** What a problem shows of a value: nothing for a secret column, else its first 40 characters. */
function shown(column: OriginalColumn, raw: string): string {
  if (column.secret) return '';
  const text = raw.replaceAll('\u0000', '\\0');
  return ` ("${text.length > 40 ? `${text.slice(0, 40)}…` : text}")`;
}

/** NULL in a file: an empty unquoted field (bcp and CSV), or an unquoted NULL where no string can be meant. */
function isNullMarker(column: OriginalColumn, raw: string): boolean {
  return raw === 'NULL' && (column.kind !== 'text' || column.nullable);
}

interface Parsed {
  record: (string | null)[];
  line: number;
}

/**
 * What is wrong with an unreadable CSV file, by csv-parse's error code: a
 * fixed text, never csv-parse's message (it quotes the field read so far,
 * which may be a secure key or an OTP hash).
 */
const CSV_ERRORS: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'a quote inside a field that is not quoted (quote the whole field, doubling its quotes)',
  CSV_INVALID_CLOSING_QUOTE: "a quoted field's closing quote is followed by something other than a comma or the end of the line",
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    "a quoted field's closing quote is followed by something other than a comma or the end of the line",
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed (the file ends inside it: truncated?)',
  CSV_MAX_RECORD_SIZE: 'a row is too long',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'a row has another number of fields than the header',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'a row has another number of fields than the header',
};

/** The original's column a CSV file's field (0-based) holds, by the file's header row (unquoted names). */
async function headerColumn(file: TableFile, field: number): Promise<string | undefined> {
  const lines = createInterface({ input: createReadStream(file.path), crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      const fields = text.replace(/^\uFEFF/, '').split(',');
      const name = fields[field]?.trim().replace(/^"(.*)"$/, '$1');
      return name === undefined ? undefined : file.table.columns.find((c) => matchKey(c.source) === matchKey(name))?.source;
    }
    return undefined;
  } finally {
    lines.close();
  }
}

async function* records(file: TableFile, note: (problem: ImportProblem) => void): AsyncGenerator<Parsed> {
  if (file.format === 'bcp') {
    // bcp's character format has no quoting: one row per line, fields split at tabs, NULL as an empty field.
    let line = 0;
    const lines = createInterface({ input: createReadStream(file.path), crlfDelay: Infinity });
    try {
      for await (const text of lines) {
        line++;
        yield { record: (line === 1 ? text.replace(/^\uFEFF/, '') : text).split('\t').map((v) => (v === '' ? null : v)), line };
      }
    } finally {
      lines.close();
    }
    return;
  }
  const parser = createReadStream(file.path).pipe(
    parse({
      delimiter: ',',
      relax_column_count: true,
      info: true,
      bom: true,
      // NULL is an unquoted empty field; a quoted one ("") is an empty string.
      cast: (value: string, context: { quoting: boolean }) => (context.quoting ? value : value === '' ? null : value),
    }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: (string | null)[]; info: { lines: number } }>) {
      yield { record, line: info.lines };
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // Only the code, the line and the field's position: the error's message and its `field` carry the value read so far.
    const { lines, column } = error as CsvError & { lines?: unknown; column?: unknown };
    const field = typeof column === 'number' ? column : undefined;
    const name = field === undefined || lines === 1 ? undefined : await headerColumn(file, field);
    note({
      table: file.table.source,
      file: basename(file.path),
      ...(typeof lines === 'number' ? { line: lines } : {}),
      ...(name ? { column: name } : {}),
      problem: `unreadable CSV: ${CSV_ERRORS[error.code] ?? `the file cannot be read as CSV (${error.code})`}${name === undefined && field !== undefined ? ` (field ${field + 1})` : ''}`,
    });
  } finally {
    parser.destroy();
  }
}

/** A database error caused by the values sent: SQLSTATE class 22 (data exception) or 23 (integrity constraint violation). */
function isInputError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** The last byte of a file (a bcp file ends with its row terminator unless it was cut short). */
async function lastByte(path: string): Promise<number | undefined> {
  const { size } = await stat(path);
  if (size === 0) return undefined;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(1);
    await handle.read(buffer, 0, 1, size - 1);
    return buffer[0];
  } finally {
    await handle.close();
  }
}

/**
 * Loads one file into its staging table; returns the rows loaded and how
 * many of its problems were not listed, and adds the first few problems (each
 * naming the file, line and column) to `problems`.
 */
export async function loadTableFile(
  tx: Connection,
  file: TableFile,
  problems: ImportProblem[],
): Promise<{ rows: number; unlisted: number }> {
  const { table } = file;
  const fileName = basename(file.path);
  const mine: ImportProblem[] = [];
  let unlisted = 0;
  const note = (problem: ImportProblem): void => {
    if (mine.length < LISTED_PER_FILE) mine.push(problem);
    else unlisted++;
  };

  const last = file.format === 'bcp' ? await lastByte(file.path) : undefined;
  if (last !== undefined && last !== 0x0a) {
    note({
      table: table.source,
      file: fileName,
      problem: 'the file does not end with a row terminator: it was cut short (truncated export or copy)',
    });
  }

  async function* chunks(): AsyncGenerator<string> {
    let order: (number | undefined)[] = table.columns.map((_, i) => i);
    let expectHeader = file.format === 'csv';
    let pending: string[] = [];
    for await (const { record, line } of records(file, note)) {
      if (expectHeader) {
        expectHeader = false;
        const keys = record.map((name) => matchKey((name ?? '').trim()));
        order = table.columns.map((column) => {
          const at = keys.indexOf(matchKey(column.source));
          if (at < 0) note({ table: table.source, file: fileName, line, column: column.source, problem: 'the header has no such column' });
          return at < 0 ? undefined : at;
        });
        if (order.includes(undefined)) return;
        continue;
      }
      if (file.format === 'bcp' && record.length !== table.columns.length) {
        const missing = table.columns[record.length]?.source;
        note({
          table: table.source,
          file: fileName,
          line,
          ...(missing ? { column: missing } : {}),
          problem: `has ${record.length} field(s), ${table.source} has ${table.columns.length}${missing ? ` (from ${missing} on the row is missing: truncated?)` : ''}`,
        });
        continue;
      }
      const fields: string[] = [];
      let ok = true;
      table.columns.forEach((column, i) => {
        const at = order[i]!;
        const field: string | null | undefined = at < record.length ? record[at] : undefined;
        if (field === undefined) {
          note({
            table: table.source,
            file: fileName,
            line,
            column: column.source,
            problem: 'is missing (the row ends before it: truncated?)',
          });
          ok = false;
          return;
        }
        const raw = field !== null && isNullMarker(column, field) ? null : field;
        const converted = convert(column, raw);
        if ('problem' in converted) {
          note({ table: table.source, file: fileName, line, column: column.source, problem: `${converted.problem}${shown(column, raw!)}` });
          ok = false;
          return;
        }
        fields.push(converted.csv);
      });
      if (!ok) continue;
      fields.push(String(line));
      pending.push(fields.join(','));
      if (pending.length >= ROWS_PER_CHUNK) {
        yield `${pending.join('\n')}\n`;
        pending = [];
      }
    }
    if (pending.length > 0) yield `${pending.join('\n')}\n`;
  }

  if (typeof tx.copyFrom !== 'function') {
    throw new PersistorError(
      'OPERATION_FAILED',
      'this database connection cannot COPY (no copyFrom): import files through a session of a PostgreSQL server or PGlite database',
    );
  }
  let loaded = 0;
  // A COPY that fails on its input aborts only its savepoint: the other files are still read and checked.
  await tx.query(sqlFile('import/copy-savepoint.sql'));
  try {
    loaded = await tx.copyFrom(sqlFile(`import/copy/${table.table}.sql`), chunks());
    await tx.query(sqlFile('import/copy-release.sql'));
  } catch (error) {
    // Only the input's fault is the input's: data exceptions (class 22) and integrity violations (class 23).
    // Anything else (a lost connection, a cancel, a full disk, a bug) is no problem of the file: it fails the import.
    if (!isInputError(error)) throw error;
    await tx.query(sqlFile('import/copy-rollback.sql'));
    // Every value was checked before it was sent; what is left is the server's word, without the row's values.
    const where = /line (\d+)/.exec((error as { where?: string }).where ?? '');
    note({
      table: table.source,
      file: fileName,
      problem: `could not be loaded${where ? ` (COPY input line ${where[1]})` : ''}: ${(error as Error).message.replace(/: ".*"$/, '')}`,
    });
  }
  problems.push(...mine);
  return { rows: loaded, unlisted };
}
