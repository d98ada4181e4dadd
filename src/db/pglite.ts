/** The embedded engine: PGlite (PostgreSQL in WASM) stored in a directory. */
import { statSync, type Stats } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { PersistorError, messageOf } from '../errors.js';
import { isPgliteDataDir } from './data-dir.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { createFromTemplate } from './pglite-template.js';
import type { Connection, Database, QueryResult, Session, TransactionOptions } from './database.js';
import { INT8_OID, parseInt8 } from './type-parsers.js';

/** Where the embedded database lives and how long to wait for it. */
export interface PgliteOptions {
  /** Directory holding the database; created (and initialised) when missing. */
  dataDir: string;
  /** How long to wait for another process that has the directory open. */
  lockTimeoutMs: number;
  /** Create a missing database from the packaged empty template when there is one (default true). */
  useTemplate?: boolean;
  /**
   * Open only a database that exists: when `dataDir` holds none, fail (exit 3)
   * without creating anything — no directory, parent, or lock file. For
   * commands that only read (`status`, `verify`, …).
   */
  mustExist?: boolean;
}

/** The error of a read-only command on a data directory that holds no database yet. */
function noEmbeddedDatabase(dataDir: string): PersistorError {
  return new PersistorError(
    'CONNECTION_FAILED',
    `no embedded database at ${dataDir} yet: create one with \`ecliptix-persistor migrate\`, or point at an existing one with --data-dir <dir> (nothing was created)`,
  );
}

type PgliteQueryable = Pick<PGlite | Transaction, 'query' | 'exec'>;

/**
 * Bigint as number. Set on every query, since PGlite fixes an instance's
 * parsers when it is constructed: an instance the application created
 * (`fromPglite`) has its own, and PGlite's default turns a bigint past 2^53
 * into a BigInt where ours throws.
 */
const PARSERS = { [INT8_OID]: parseInt8 };

/**
 * A PGlite instance or transaction as a Connection — the tool's own
 * instances and one the application created alike.
 */
export function queryableOver(target: PgliteQueryable): Connection {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await target.query<Row>(sql, [...params], { parsers: PARSERS });
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(script: string): Promise<void> {
      await target.exec(script);
    },
    async copyFrom(sql: string, data: AsyncIterable<string>): Promise<number> {
      // PGlite reads a COPY's input from a Blob it calls /dev/blob.
      const parts: string[] = [];
      for await (const part of data) parts.push(part);
      const result = await target.query(sql.replace(/\bfrom\s+stdin\b/i, "from '/dev/blob'"), [], {
        blob: new Blob(parts),
        parsers: PARSERS,
      });
      return result.affectedRows ?? 0;
    },
  };
}

/**
 * PGlite's start parameters with a smaller buffer pool: 32 MB instead of
 * 128 MB. An embedded database has one connection and a development-sized
 * working set; the CLI's peak memory drops by ~100 MB (BENCHMARKS.md).
 */
const START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

/**
 * Every PGlite instance of the tool (the driver, backup, restore) starts the
 * same way: bigint as number, the smaller buffer pool. The caller holds the
 * data directory's lock.
 */
export function createPglite(dataDir: string, options: { loadDataDir?: Blob } = {}): Promise<PGlite> {
  return PGlite.create(dataDir, { parsers: PARSERS, startParams: [...START_PARAMS], ...options });
}

/** The path's stats, or undefined when it is missing or lies under a file (ENOTDIR: the caller finds that file). */
function statOrMissing(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** A data directory path that names a file, or lies under one, is a configuration error (exit 2), not "no database yet". */
function assertUsableDataDir(dataDir: string): void {
  for (let path = dataDir; ; path = dirname(path)) {
    const stats = statOrMissing(path);
    if (stats !== undefined) {
      if (!stats.isDirectory()) {
        throw new PersistorError(
          'INVALID_CONFIG',
          `the data directory ${dataDir} ${path === dataDir ? 'is a file' : `lies under ${path}, which is a file`}: give a directory with --data-dir or ECLIPTIX_DATA_DIR`,
        );
      }
      return;
    }
    if (dirname(path) === path) return;
  }
}

/**
 * Opens (creating when allowed) the embedded PGlite database in a directory, holding its lock file until closed: one process at a time.
 */
export async function openPglite(options: PgliteOptions): Promise<Database> {
  const dataDir = resolve(options.dataDir);
  assertUsableDataDir(dataDir);
  if (options.mustExist && !isPgliteDataDir(dataDir)) throw noEmbeddedDatabase(dataDir);
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (error) {
    throw new PersistorError('INVALID_CONFIG', `cannot create the data directory ${dataDir}: ${messageOf(error)}`, { cause: error });
  }
  const lock = await acquireDataDirLock(dataDir, options.lockTimeoutMs);
  let pglite: PGlite;
  let created: Database['created'];
  try {
    // Decided under the lock: another process may be creating the database right now.
    const isNew = (await readdir(dataDir)).length === 0;
    if (isNew) created = options.useTemplate !== false && (await createFromTemplate(dataDir)) ? 'from-template' : 'by-initdb';
    pglite = await createPglite(dataDir);
  } catch (error) {
    await lock.release();
    throw new PersistorError('CONNECTION_FAILED', `cannot open the embedded database at ${dataDir}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return new PgliteDatabase(pglite, dataDir, () => lock.release(), created);
}

class PgliteDatabase implements Database {
  readonly engine = 'pglite' as const;
  readonly target: string;
  private readonly base: Connection;

  constructor(
    private readonly pglite: PGlite,
    dataDir: string,
    private readonly releaseLock: () => Promise<void>,
    readonly created?: Database['created'],
  ) {
    this.target = `pglite:${dataDir}`;
    this.base = queryableOver(pglite);
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.base.query<Row>(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.base.exec(script);
  }

  async transaction<T>(work: (tx: Connection) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.pglite.transaction(async (tx) => {
      const result = await work(queryableOver(tx));
      if (options.rollback) await tx.rollback();
      return result;
    });
  }

  /** PGlite is a single connection already: the session is the database itself. */
  async withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const session: Session = {
      query: (sql, params) => this.query(sql, params),
      exec: (script) => this.exec(script),
      copyFrom: (sql, data) => this.base.copyFrom(sql, data),
      transaction: (inner, options) => this.transaction(inner, options),
    };
    return work(session);
  }

  async close(): Promise<void> {
    try {
      if (!this.pglite.closed) await this.pglite.close();
    } finally {
      await this.releaseLock();
    }
  }
}
