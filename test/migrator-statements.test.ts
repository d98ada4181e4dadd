/** splitStatements: where a no-transaction migration's statements begin and end. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitStatements } from '../src/migrator/statements.js';
import { fcParams } from './support/fast-check.js';

const texts = (sql: string) => splitStatements(sql).map((s) => s.text);

describe('splitStatements', () => {
  it('splits on semicolons and drops empty and comment-only pieces', () => {
    expect(texts('SELECT 1; SELECT 2;')).toEqual(['SELECT 1', 'SELECT 2']);
    expect(texts(';;  ;\n-- only a comment\n/* and another */\n')).toEqual([]);
    expect(texts('SELECT 1;\n-- trailing comment only\n')).toEqual(['SELECT 1']);
    expect(texts('SELECT 1')).toEqual(['SELECT 1']);
  });

  it('keeps $$ and $tag$ bodies whole, and reads $1 as a parameter', () => {
    const fn = 'CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql';
    expect(texts(`${fn}; SELECT 2`)).toEqual([fn, 'SELECT 2']);
    const tagged = "DO $body$ BEGIN PERFORM ';'; PERFORM $$;$$; END $body$";
    expect(texts(`${tagged};\nSELECT 3;`)).toEqual([tagged, 'SELECT 3']);
    expect(texts('SELECT $1; SELECT 9')).toEqual(['SELECT $1', 'SELECT 9']);
    expect(texts('SELECT a$b$c FROM t; SELECT 4')).toEqual(['SELECT a$b$c FROM t', 'SELECT 4']);
  });

  it("keeps '…' with '' inside, E'…' with \\' inside, and \"quoted;identifiers\"", () => {
    expect(texts("SELECT 'a;''b'; SELECT 4")).toEqual(["SELECT 'a;''b'", 'SELECT 4']);
    expect(texts("SELECT E'a\\';b'; SELECT 5")).toEqual(["SELECT E'a\\';b'", 'SELECT 5']);
    expect(texts("SELECT e'\\\\'; SELECT 5")).toEqual(["SELECT e'\\\\'", 'SELECT 5']);
    expect(texts('SELECT 1 AS "q;""x"; SELECT 6')).toEqual(['SELECT 1 AS "q;""x"', 'SELECT 6']);
    // Outside E'…' a backslash is an ordinary character (standard_conforming_strings).
    expect(texts("SELECT 'a\\'; SELECT 7")).toEqual(["SELECT 'a\\'", 'SELECT 7']);
  });

  it('ignores semicolons in -- comments and nested /* comments */', () => {
    expect(texts('-- c; x\nSELECT 7; /* a /* nested; */ still; */ SELECT 8;')).toEqual(['SELECT 7', 'SELECT 8']);
    expect(texts('SELECT 1 -- ; not the end\n + 1;')).toEqual(['SELECT 1 -- ; not the end\n + 1']);
  });

  it('keeps a BEGIN ATOMIC body and parenthesised rule actions whole, as psql', () => {
    const atomic =
      'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND';
    expect(texts(`${atomic};\nSELECT 3;`)).toEqual([atomic, 'SELECT 3']);
    const rule = 'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))';
    expect(texts(`${rule}; SELECT 1`)).toEqual([rule, 'SELECT 1']);
    expect(texts('BEGIN; SELECT 1; END;')).toEqual(['BEGIN', 'SELECT 1', 'END']);
  });

  it('numbers statements and says where each starts', () => {
    const sql = '-- persistor:no-transaction\nCREATE TABLE a (x int);\n\n  INSERT INTO a\n  VALUES (1);\n';
    expect(splitStatements(sql)).toEqual([
      { number: 1, text: 'CREATE TABLE a (x int)', offset: 28, line: 2, firstLine: 'CREATE TABLE a (x int)' },
      { number: 2, text: 'INSERT INTO a\n  VALUES (1)', offset: 55, line: 4, firstLine: 'INSERT INTO a' },
    ]);
    expect(sql.slice(55, 55 + 'INSERT'.length)).toBe('INSERT');
  });

  it('runs to the end of an unterminated quote or comment (the server reports it)', () => {
    expect(texts("SELECT 'open; SELECT 2")).toEqual(["SELECT 'open; SELECT 2"]);
    expect(texts('SELECT 1; /* open; SELECT 2')).toEqual(['SELECT 1']);
    expect(texts('SELECT $x$ open; SELECT 2')).toEqual(['SELECT $x$ open; SELECT 2']);
  });
});

describe('splitStatements on generated scripts', () => {
  const text = fc.string({ unit: fc.constantFrom('a', ' ', ';', "'", '"', '$', '\\', '-', '/', '*', '\n', 'é') });
  /** A piece of a statement that may hold semicolons, quotes and comment markers inside. */
  const piece = fc.oneof(
    fc.constantFrom('x', 'a$b', '42', '$1', '(1)', 'E', 'e', 'U&', '+', '-'),
    text.map((t) => `'${t.replace(/'/g, "''")}'`),
    text.map((t) => `E'${t.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`),
    text.map((t) => `"${t.replace(/"/g, '""')}"`),
    text.filter((t) => !t.includes('$$')).map((t) => `$$${t}$$`),
    text.filter((t) => !t.includes('$q$') && !t.endsWith('$q')).map((t) => `$q$${t}$q$`),
    text.filter((t) => !t.includes('\n')).map((t) => `-- ${t}\n`),
    text.filter((t) => !t.includes('/*') && !t.includes('*/') && !t.endsWith('/') && !t.endsWith('*')).map((t) => `/* ${t} /* ; */ */`),
  );
  /** Ends in a token, since comments after a statement's last token are not part of its text. */
  const statement = fc.array(piece, { maxLength: 6 }).map((pieces) => `SELECT ${pieces.join(' ')} x`);

  it('gives back exactly the statements that were joined', () => {
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 5 }), (statements) => {
        const script = statements.map((s) => `${s}\n;`).join('\n');
        expect(texts(script)).toEqual(statements);
      }),
      // The suite's fixed fast-check seed (FAST_CHECK_SEED=<n> draws another; a failure prints its seed and path).
      fcParams(500),
    );
  });
});
