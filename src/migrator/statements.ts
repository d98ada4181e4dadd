/**
 * Splits a SQL script into its statements the way psql does, so that a
 * no-transaction migration can run them one at a time. A `;` ends a statement
 * only outside quotes and comments: '…' (with '' inside), E'…' (with \' and
 * ''), "quoted;identifiers", $$…$$ and $tag$…$tag$ bodies, -- line comments
 * and nested /* block comments *\/; and outside parentheses and the
 * BEGIN ATOMIC … END body of a CREATE FUNCTION/PROCEDURE, as psql.
 * standard_conforming_strings is assumed on (PostgreSQL's default), so a
 * backslash escapes only in E'…' strings.
 */

/**
 * One statement of a script, without its terminating semicolon and without
 * the comments and blank lines before it.
 */
export interface SqlStatement {
  /** 1 for the script's first statement. */
  number: number;
  /** The statement's text, from its first token to just before its `;` (trailing blanks trimmed). */
  text: string;
  /** Where `text` starts in the script (a string index). */
  offset: number;
  /** The script line (1-based) `text` starts on. */
  line: number;
  /** The first line of `text`, trimmed: enough to recognise the statement in a message. */
  firstLine: string;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/** Whether the first words of a statement make it CREATE [OR REPLACE] FUNCTION/PROCEDURE, whose BEGIN ATOMIC body holds `;`. */
function isRoutineDefinition(words: readonly string[]): boolean {
  if (words[0] !== 'CREATE') return false;
  const kind = words[1] === 'OR' && words[2] === 'REPLACE' ? words[3] : words[1];
  return kind === 'FUNCTION' || kind === 'PROCEDURE';
}

/** Index just past a quoted run that starts at `start` (the opening quote), with the quote doubled inside; `backslash`: E'…'. */
function skipQuoted(sql: string, start: number, quote: string, backslash: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslash && c === '\\') i += 2;
    else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** Index just past a block comment that starts at `start` (its `/*`); PostgreSQL's block comments nest. */
function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

function lineOf(sql: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (sql.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The statements of `sql`, in order; comment-only and empty pieces are left out.
 *
 * @example
 * ```ts
 * splitStatements("CREATE TABLE t (a text DEFAULT ';');\n-- done\nDO $$ BEGIN PERFORM 1; END $$;").map((s) => s.firstLine);
 * // ["CREATE TABLE t (a text DEFAULT ';')", 'DO $$ BEGIN PERFORM 1; END $$']
 * ```
 */
export function splitStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let codeStart = -1;
  let codeEnd = -1;
  let parenDepth = 0;
  let beginDepth = 0;
  let words: string[] = [];

  const finish = () => {
    if (codeStart >= 0) {
      const text = sql.slice(codeStart, codeEnd).trimEnd();
      statements.push({
        number: statements.length + 1,
        text,
        offset: codeStart,
        line: lineOf(sql, codeStart),
        firstLine: text.split('\n')[0]!.trim(),
      });
    }
    codeStart = -1;
    codeEnd = -1;
    parenDepth = 0;
    beginDepth = 0;
    words = [];
  };
  /** A token of the statement ran from `start` to `end`. */
  const token = (start: number, end: number) => {
    if (codeStart < 0) codeStart = start;
    codeEnd = end;
  };

  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const newline = sql.indexOf('\n', i);
      i = newline < 0 ? sql.length : newline + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === ';' && parenDepth === 0 && beginDepth === 0) {
      finish();
      i++;
    } else if (c === "'" || c === '"') {
      const end = skipQuoted(sql, i, c, false);
      token(i, end);
      i = end;
    } else if (c === '$') {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql)?.[0];
      let end: number;
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        end = close < 0 ? sql.length : close + tag.length;
      } else {
        end = i + 1;
        while (end < sql.length && /[0-9]/.test(sql[end]!)) end++; // $1: a parameter
      }
      token(i, end);
      i = end;
    } else if (IDENT_START.test(c)) {
      let end = i + 1;
      while (end < sql.length && IDENT_PART.test(sql[end]!)) end++;
      const word = sql.slice(i, end).toUpperCase();
      if (word === 'E' && sql[end] === "'") {
        end = skipQuoted(sql, end, "'", true);
      } else {
        if (words.length < 4) words.push(word);
        if ((word === 'BEGIN' || word === 'CASE') && words.length > 1 && isRoutineDefinition(words)) beginDepth++;
        else if (word === 'END' && beginDepth > 0) beginDepth--;
      }
      token(i, end);
      i = end;
    } else {
      if (c === '(') parenDepth++;
      else if (c === ')' && parenDepth > 0) parenDepth--;
      token(i, i + 1);
      i++;
    }
  }
  finish();
  return statements;
}
