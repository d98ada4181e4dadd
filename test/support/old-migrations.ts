/** The shipped migrations as they were at a git revision, for upgrade tests and for running attacks against older routines. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../src/db/database.js';
import { Migrator } from '../../src/migrator/migrator.js';

const repositoryRoot = join(import.meta.dirname, '..', '..');

/** The last revision before the limits were made to hold on every path (issue 10). */
export const BEFORE_LIMITS_FIX = 'f003710';

/** Applies the shipped migrations of `revision` to `db` (from a temporary checkout of the migrations folder). */
export async function migrateAsAt(db: Database, revision: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'persistor-old-migrations-'));
  try {
    const archive = execFileSync('git', ['archive', revision, 'migrations'], { cwd: repositoryRoot });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    await new Migrator({ db, migrationsDir: join(dir, 'migrations'), lockTimeoutMs: 10_000 }).migrate();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
