/** A PostgreSQL server through node-postgres (`pg`). */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { PersistorError, messageOf } from '../errors.js';
import { maskDatabaseUrl, passwordsOf, redact } from '../util/redact.js';
import type { Connection, Database, Queryable, QueryResult, Session, TransactionOptions } from './database.js';
import { INT8_OID, parseInt8 } from './type-parsers.js';

/** Where the PostgreSQL server is and how long to wait for it. */
export interface PostgresOptions {
  databaseUrl: string;
  connectTimeoutMs: number;
  /** Pool size for the memberships client; commands use one connection. */
  maxConnections?: number;
  applicationName?: string;
}

/**
 * The parsers every query of this tool uses: pg's defaults but bigint as a
 * number (as on PGlite). Given with each query, so an application's own pool
 * gets them without pg's global types being changed.
 */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return parseInt8;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

function queryableOver(client: pg.PoolClient | pg.Pool): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await client.query({ text: sql, values: [...params], types: typeParsers });
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(script: string): Promise<void> {
      // No values: the simple protocol, which runs a script of several statements.
      await client.query({ text: script, types: typeParsers });
    },
  };
}

/**
 * A `pg` Pool the application owns as a Queryable: the same adapter and type
 * parsing (bigint as number) as the driver's own pool, set per query — the
 * pool's configuration and pg's global types are left as they are.
 */
export function queryableOverPgPool(pool: pg.Pool): Queryable {
  return queryableOver(pool);
}

/** A connection's queryable with COPY FROM STDIN (pg-copy-streams), streamed with back-pressure. */
function connectionQueryable(client: pg.PoolClient): Connection {
  return {
    ...queryableOver(client),
    async copyFrom(sql: string, data: AsyncIterable<string>): Promise<number> {
      // Loaded on first use: only `import` copies, and every other command starts without it.
      const { from: copyFromStdin } = await import('pg-copy-streams');
      const stream = client.query(copyFromStdin(sql));
      await pipeline(Readable.from(data), stream);
      return stream.rowCount ?? 0;
    },
  };
}

async function inTransaction<T>(client: pg.PoolClient, work: (tx: Connection) => Promise<T>, options: TransactionOptions): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work(connectionQueryable(client));
    await client.query(options.rollback ? 'ROLLBACK' : 'COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Why a connection failed, in words an operator can act on. */
function describeConnectionFailure(error: unknown, target: string, timeoutMs: number): string {
  const err = error as { code?: string; message?: string };
  switch (err.code) {
    case 'ECONNREFUSED':
      return `host unreachable: connection refused by ${target} (is the server running and listening there?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host unreachable: cannot resolve the host of ${target}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return `host unreachable: ${target} (${err.code})`;
    case '28P01':
    case '28000':
      return `authentication failed for ${target}: ${err.message}`;
    case '3D000':
      return `database missing: ${err.message} (create it first, e.g. createdb)`;
    case '57P03':
      return `server not accepting connections yet: ${err.message}`;
    default:
      if (/timeout/i.test(err.message ?? '')) {
        return `host unreachable: no answer from ${target} within the ${timeoutMs} ms connect timeout`;
      }
      return `cannot connect to ${target}: ${messageOf(error)}`;
  }
}

/**
 * Opens a pool on a PostgreSQL server and checks that it answers; CONNECTION_FAILED with the likely cause (refused, timeout, authentication, missing database) when it does not.
 */
export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const target = maskDatabaseUrl(options.databaseUrl);
  const passwords = passwordsOf(options.databaseUrl);
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    connectionTimeoutMillis: options.connectTimeoutMs,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'ecliptix-persistor',
    types: typeParsers,
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor may any other client: node-postgres can emit 'error' on a client more than once as its connection
  // dies (the server's 57P01, then the socket), and pg-pool listens only once around a pool.query. Every
  // failure still reaches its caller through the query's own rejection.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const probe = await pool.connect();
    probe.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new PersistorError('CONNECTION_FAILED', redact(describeConnectionFailure(error, target, options.connectTimeoutMs), passwords), {
      cause: error,
    });
  }
  return new PostgresDatabase(pool, target);
}

class PostgresDatabase implements Database {
  readonly engine = 'postgres' as const;
  private readonly base: Queryable;

  constructor(
    private readonly pool: pg.Pool,
    readonly target: string,
  ) {
    this.base = queryableOver(pool);
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.base.query<Row>(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.base.exec(script);
  }

  /**
   * A client checked out for a transaction or session, with a note of whether
   * its connection was lost while held (the server restarted, the backend was
   * terminated): such a client is not pooled again. (That the loss cannot
   * crash the process is the pool's 'connect' listener's job.)
   */
  private async checkout(): Promise<{ client: pg.PoolClient; release(broken: boolean): void }> {
    const client = await this.pool.connect();
    let lost = false;
    const onError = () => {
      lost = true;
    };
    client.on('error', onError);
    return {
      client,
      release(broken) {
        client.removeListener('error', onError);
        client.release(broken || lost);
      },
    };
  }

  async transaction<T>(work: (tx: Connection) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const { client, release } = await this.checkout();
    try {
      return await inTransaction(client, work, options);
    } finally {
      release(false);
    }
  }

  async withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const { client, release } = await this.checkout();
    let broken = false;
    try {
      const base = connectionQueryable(client);
      return await work({
        query: (sql, params) => base.query(sql, params),
        exec: (script) => base.exec(script),
        copyFrom: (sql, data) => base.copyFrom(sql, data),
        transaction: (inner, options = {}) => inTransaction(client, inner, options),
      });
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      // A session that failed may hold session state (advisory locks): discard it rather than pool it.
      release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
