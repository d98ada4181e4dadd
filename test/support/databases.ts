/**
 * One test suite, run over both engines: every test gets its own fresh
 * database — a copied PGlite directory, or a new database on the server —
 * and drops it afterwards.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, inject } from 'vitest';
import type { Database, Engine } from '../../src/db/database.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createPostgresDatabase, dropPostgresDatabase, uniqueDatabaseName } from './postgres-admin.js';

export const engines: readonly Engine[] = ['pglite', 'postgres'];

export interface TestDatabase {
  engine: Engine;
  /** Configuration values that point at this database (for the API). */
  config: { databaseUrl?: string; dataDir: string };
  /** The same, as CLI flags. */
  cliArgs: string[];
  /** A scratch directory for this test (config files, migrations, backups). */
  workDir: string;
  open(options?: { maxConnections?: number }): Promise<Database>;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Start from the shipped EcliptixMemberships schema, already migrated. */
  withSchema?: boolean;
}

export async function createTestDatabase(engine: Engine, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const workDir = mkdtempSync(join(tmpdir(), `persistor-${engine}-`));
  if (engine === 'pglite') {
    const dataDir = join(workDir, 'db');
    cpSync(inject(options.withSchema ? 'pgliteSchemaTemplate' : 'pgliteEmptyTemplate'), dataDir, { recursive: true });
    return {
      engine,
      config: { dataDir },
      cliArgs: ['--data-dir', dataDir],
      workDir,
      open: () => openPglite({ dataDir, lockTimeoutMs: 30_000 }),
      drop: async () => rmSync(workDir, { recursive: true, force: true }),
    };
  }
  const adminUrl = inject('adminUrl');
  const name = uniqueDatabaseName();
  const url = await createPostgresDatabase(adminUrl, name, options.withSchema ? inject('postgresSchemaTemplate') : undefined);
  return {
    engine,
    config: { databaseUrl: url, dataDir: join(workDir, 'unused') },
    cliArgs: ['--database-url', url],
    workDir,
    open: (openOptions = {}) => openPostgres({ databaseUrl: url, connectTimeoutMs: 10_000, ...openOptions }),
    drop: async () => {
      await dropPostgresDatabase(adminUrl, name);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Opens the test's database for `work` and closes it after, whatever happens (for looking at what a CLI run left). */
export async function withOpenDatabase<T>(target: TestDatabase, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await target.open();
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** The database of the test running now, and a connection to it (see {@link freshDatabaseEach}). */
export interface FreshDatabase {
  readonly target: TestDatabase;
  readonly db: Database;
}

/**
 * For the calling describe block: before every test a fresh database, opened;
 * after it, the connection closed and the database dropped. Read `target` and
 * `db` inside the test (they change from one test to the next).
 */
export function freshDatabaseEach(engine: Engine, options: TestDatabaseOptions = {}): FreshDatabase {
  let target: TestDatabase | undefined;
  let db: Database | undefined;
  beforeEach(async () => {
    target = await createTestDatabase(engine, options);
    db = await target.open();
  });
  afterEach(async () => {
    await db?.close();
    await target?.drop();
    db = target = undefined;
  });
  return {
    get target() {
      if (!target) throw new Error('freshDatabaseEach: no test is running');
      return target;
    },
    get db() {
      if (!db) throw new Error('freshDatabaseEach: no test is running');
      return db;
    },
  };
}
