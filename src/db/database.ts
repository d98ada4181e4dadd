/**
 * The one small interface over both engines (PGlite in-process, PostgreSQL
 * server). Everything above the drivers — migrator, commands, memberships
 * client — is written against these types only.
 */
export type Engine = 'pglite' | 'postgres';

/**
 * The rows of one statement, with values parsed the same way by both engines (bigint as number, timestamptz as Date, bytea as bytes).
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Anything statements can run on: a database (a pooled connection per call), a session or a transaction. */
export interface Queryable {
  /** One statement, parameterised with $1, $2 … */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** A script of one or more statements without parameters (a migration file, say). */
  exec(script: string): Promise<void>;
  /**
   * `COPY … FROM STDIN` (server) or `COPY … FROM '/dev/blob'` (PGlite): runs
   * `sql` — a COPY whose source is written as `STDIN` — feeding it `data`.
   * Returns the rows copied. Only on one connection (a transaction or a
   * session), since a COPY and what follows it must share that connection.
   */
  copyFrom?(sql: string, data: AsyncIterable<string>): Promise<number>;
}

/** One connection (a session or a transaction): it always has `copyFrom`. */
export interface Connection extends Queryable {
  copyFrom(sql: string, data: AsyncIterable<string>): Promise<number>;
}

/** How a transaction ends. */
export interface TransactionOptions {
  /** Run the work, then roll back whatever happened (dry runs, verification). */
  rollback?: boolean;
}

/** A single connection, held for as long as the callback runs. */
export interface Session extends Connection {
  transaction<T>(work: (tx: Connection) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/**
 * An open database on either engine.
 *
 * @example
 * const db = await openDatabase({ dataDir: '.ecliptix/data', connectTimeoutMs: 10_000, lockTimeoutMs: 60_000 });
 * try {
 *   await db.transaction(async (tx) => tx.query('SELECT 1'));
 * } finally {
 *   await db.close();
 * }
 */
export interface Database extends Queryable {
  readonly engine: Engine;
  /** Where this database is, safe to print (passwords masked). */
  readonly target: string;
  /** How an embedded database that did not exist was created: from the packaged empty template, or by PGlite's initdb. */
  readonly created?: 'from-template' | 'by-initdb';
  transaction<T>(work: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs `work` on one dedicated connection (session-level advisory locks live here). */
  withSession<T>(work: (session: Session) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
