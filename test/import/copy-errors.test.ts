/**
 * `import` (#15) from files: a COPY the server refuses for its values (SQLSTATE
 * class 22 or 23) is a problem of the input, reported with its file (exit 5);
 * any other COPY failure — a lost connection, a cancel, a full disk — is not
 * the input's fault and fails the import (exit 1), never reported as bad input.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/db/database.js';
import { findTableFiles, loadTableFile } from '../../src/operations/import/files.js';
import type { ImportProblem } from '../../src/operations/import/report.js';
import { makeDataset, writeFiles } from './dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'import-copy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A connection whose COPY reads its input, then fails with `error`; it records the statements it ran. */
function failingCopy(error: Error & { code?: string; where?: string }): Connection & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    query: async (sql: string) => {
      ran.push(sql.replace(/^(--[^\n]*\n)+/, '').trim());
      return { rows: [], rowCount: 0 };
    },
    exec: async () => undefined,
    copyFrom: async (_sql: string, data: AsyncIterable<string>) => {
      for await (const chunk of data) void chunk;
      throw error;
    },
  } as Connection & { ran: string[] };
}

describe('a COPY failure while importing files', () => {
  const ready = (async () => {
    await writeFiles(makeDataset({ members: 5, seed: 11 }), dir, { format: 'bcp' });
    const { files } = await findTableFiles(dir, undefined);
    return files.find((f) => f.table.source === 'AppDevices')!;
  })();

  it('of the values (class 22 or 23): a problem naming the file, the savepoint rolled back', async () => {
    for (const code of ['22P02', '23505']) {
      const tx = failingCopy(
        Object.assign(new Error('duplicate key value violates unique constraint "x": "secret"'), {
          code,
          where: 'COPY stage_app_devices, line 3',
        }),
      );
      const problems: ImportProblem[] = [];
      expect(await loadTableFile(tx, await ready, problems)).toEqual({ rows: 0, unlisted: 0 });
      expect(problems).toEqual([
        {
          table: 'AppDevices',
          file: 'AppDevices.bcp',
          problem: 'could not be loaded (COPY input line 3): duplicate key value violates unique constraint "x"',
        },
      ]);
      expect(tx.ran.some((sql) => /rollback to savepoint/i.test(sql))).toBe(true);
    }
  });

  it('of anything else (a lost connection, a cancel, a full disk, no code): thrown, not reported as bad input', async () => {
    for (const code of ['08006', '57014', '53100', 'XX000', undefined]) {
      const error = Object.assign(new Error(`copy failed ${code}`), code ? { code } : {});
      const problems: ImportProblem[] = [];
      await expect(loadTableFile(failingCopy(error), await ready, problems), String(code)).rejects.toBe(error);
      expect(problems).toEqual([]);
    }
  });

  it('without copyFrom on the connection: a clear error, not a TypeError', async () => {
    const tx = { query: async () => ({ rows: [], rowCount: 0 }), exec: async () => undefined } as unknown as Connection;
    await expect(loadTableFile(tx, await ready, [])).rejects.toMatchObject({
      code: 'OPERATION_FAILED',
      message: expect.stringContaining('cannot COPY'),
    });
  });
});
