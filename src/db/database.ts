/**
 * The one small interface over both engines (PGlite in-process, PostgreSQL
 * server). Everything above the drivers — migrator, commands, memberships
 * client — is written against these types only.
 */
export type Engine = 'pglite' | 'postgres';

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

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

export interface TransactionOptions {
  /** Run the work, then roll back whatever happened (dry runs, verification). */
  rollback?: boolean;
}

/** A single connection, held for as long as the callback runs. */
export interface Session extends Connection {
  transaction<T>(work: (tx: Connection) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

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
