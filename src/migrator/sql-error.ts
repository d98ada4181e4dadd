/** Turns a PostgreSQL error raised by a migration script into a message that points at the line. */
/** Where in a script an error points: its line and column (1-based) and that line's text. */
interface SqlErrorLocation {
  line: number;
  column: number;
  /** The text of that line, trimmed. */
  text: string;
}

interface DriverError {
  message?: string;
  code?: string;
  position?: string | number;
  where?: string;
  detail?: string;
  hint?: string;
}

function locate(sql: string, position: number): SqlErrorLocation {
  const before = sql.slice(0, Math.max(0, position - 1));
  const lines = before.split('\n');
  const line = lines.length;
  const column = (lines.at(-1)?.length ?? 0) + 1;
  return { line, column, text: (sql.split('\n')[line - 1] ?? '').trim() };
}

/**
 * The message (` at line L, column C: <message> [SQLSTATE xxxxx]`) and details
 * (near, detail, hint, context) of a PostgreSQL error. `sql`: the script that
 * raised it, to point at the line (omit when the error came from elsewhere);
 * `offset`: where in `sql` the statement that raised it starts, when only
 * that statement was sent.
 *
 * @example
 * ```ts
 * const { message, details } = describeSqlError(error, migration.sql);
 * throw new PersistorError('MIGRATION_FAILED', `migration ${migration.script} failed${message}`, { details });
 * ```
 */
export function describeSqlError(error: unknown, sql?: string, offset = 0): { message: string; details: string[] } {
  const err = error as DriverError;
  const details: string[] = [];
  const position = err.position === undefined ? NaN : Number(err.position) + offset;
  let where = '';
  if (sql !== undefined && Number.isFinite(position) && position > 0) {
    const location = locate(sql, position);
    where = ` at line ${location.line}, column ${location.column}`;
    details.push(`near: ${location.text}`);
  }
  if (err.detail) details.push(`detail: ${err.detail}`);
  if (err.hint) details.push(`hint: ${err.hint}`);
  if (err.where) details.push(`context: ${err.where}`);
  const code = err.code ? ` [SQLSTATE ${err.code}]` : '';
  return { message: `${where}: ${err.message ?? String(error)}${code}`, details };
}
