/** `doctor`'s rules: each recognises what it should, with its cause and fix, and nothing else. */
import { describe, expect, it } from 'vitest';
import { DOCTOR_RULES, diagnose, type Observation } from '../../src/operations/doctor-rules.js';

/** One observation each rule must recognise (as the drivers, the migrator and status word them). */
const EXAMPLES: Record<string, Observation> = {
  'invalid-configuration': {
    source: 'configuration',
    code: 'INVALID_CONFIG',
    text: 'invalid configuration: databaseUrl (from DATABASE_URL) must be a URL like postgres://user:password@host:5432/database (got "mysql://x@y/z")',
  },
  'database-in-use': {
    source: 'connection',
    code: 'DATABASE_IN_USE',
    text: 'database in use: the embedded database /x/db is open in process 123 (since 2026-01-01T00:00:00Z); waited 300 ms',
  },
  'no-embedded-database': {
    source: 'connection',
    code: 'CONNECTION_FAILED',
    text: 'no embedded database at /x/db yet: create one with `ecliptix-persistor migrate`, or point at an existing one with --data-dir <dir> (nothing was created)',
  },
  'connection-refused': {
    source: 'connection',
    code: 'CONNECTION_FAILED',
    sqlState: 'ECONNREFUSED',
    text: 'host unreachable: connection refused by postgres://app:****@db:5432/m (is the server running and listening there?)',
  },
  'host-not-found': {
    source: 'connection',
    code: 'CONNECTION_FAILED',
    sqlState: 'ENOTFOUND',
    text: 'host unreachable: cannot resolve the host of postgres://app@nowhere.invalid/m',
  },
  'connection-timeout': {
    source: 'connection',
    code: 'CONNECTION_FAILED',
    text: 'host unreachable: no answer from postgres://app@10.255.255.1/m within the 300 ms connect timeout',
  },
  'authentication-failed': {
    source: 'connection',
    code: 'CONNECTION_FAILED',
    sqlState: '28P01',
    text: 'authentication failed for postgres://app:****@db/m: password authentication failed for user "app"',
  },
  ssl: {
    source: 'connection',
    code: 'CONNECTION_FAILED',
    text: 'cannot connect to postgres://app@db/m: The server does not support SSL connections',
  },
  'database-missing': {
    source: 'connection',
    code: 'CONNECTION_FAILED',
    sqlState: '3D000',
    text: 'database missing: database "m" does not exist (create it first, e.g. createdb)',
  },
  'server-starting': {
    source: 'connection',
    code: 'CONNECTION_FAILED',
    sqlState: '57P03',
    text: 'server not accepting connections yet: the database system is starting up',
  },
  'permission-denied': {
    source: 'journal',
    text: 'V4__x.sql failed: statement 1 of 1 (line 2: CREATE SCHEMA app): permission denied for database m',
  },
  'already-exists': {
    source: 'journal',
    text: 'V4__x.sql failed: statement 1 of 2 (line 3: CREATE TABLE app.kept (id integer)): relation "kept" already exists',
  },
  'dependency-order': {
    source: 'journal',
    text: 'V4__half_applied.sql failed: statement 2 of 2 (line 4: INSERT INTO app.missing_table VALUES (1)): relation "app.missing_table" does not exist',
  },
  'grants-missing': { source: 'status', text: 'role ecliptix_app (application) may execute 18 of the 19 routines' },
  'out-of-order': { source: 'status', text: 'V2.5__late.sql: version 2.5 is pending but the later version 3 is already applied' },
  'checksum-mismatch': {
    source: 'status',
    text: 'V2__add_email.sql: edited after it was applied (applied checksum abc, file checksum def); restore the file, or accept the edit with `repair`',
  },
  'failed-migration': { source: 'journal', text: 'V4__x.sql failed: statement 2 of 2 (line 4: SELECT 1/0): division by zero' },
  'pending-migrations': { source: 'status', text: '2 migration(s) pending: V018__x.sql, V019__y.sql' },
  'objects-missing': { source: 'status', text: '1 object(s) missing from schema ecliptix: log_login_attempt' },
};

describe('doctor rules', () => {
  it('has an example for every rule, and no example without a rule', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(DOCTOR_RULES.map((rule) => rule.id).sort());
  });

  for (const rule of DOCTOR_RULES) {
    it(`${rule.id}: recognised, with its cause and a command to run`, () => {
      const observation = EXAMPLES[rule.id]!;
      const [finding, ...more] = diagnose([observation]);
      expect(more).toEqual([]);
      expect(finding).toEqual({ rule: rule.id, source: observation.source, seen: observation.text, cause: rule.cause, fix: rule.fix });
      expect(finding!.fix).toMatch(/ecliptix-persistor|createdb|pg_isready|sslmode|--lock-timeout/);
    });
  }

  it('matches a SQLSTATE or error code even when the text says nothing', () => {
    expect(diagnose([{ source: 'connection', sqlState: 'ECONNREFUSED', text: 'x' }])[0]!.rule).toBe('connection-refused');
    expect(diagnose([{ source: 'journal', sqlState: '42P07', text: 'x' }])[0]!.rule).toBe('already-exists');
    expect(diagnose([{ source: 'journal', sqlState: '42501', text: 'x' }])[0]!.rule).toBe('permission-denied');
    expect(diagnose([{ source: 'connection', code: 'DATABASE_IN_USE', text: 'x' }])[0]!.rule).toBe('database-in-use');
  });

  it('keeps to the sources a rule is about: a missing relation is not a missing database, nor a connection error a journal one', () => {
    expect(diagnose([{ source: 'journal', text: 'relation "ecliptix.x" does not exist' }])[0]!.rule).toBe('dependency-order');
    expect(diagnose([{ source: 'connection', text: 'database "m" does not exist' }])[0]!.rule).toBe('database-missing');
    expect(diagnose([{ source: 'journal', text: 'connection refused' }])).toEqual([]);
  });

  it('leaves out what no rule recognises, and reports each observation in order', () => {
    expect(diagnose([{ source: 'event', text: 'routine_error: something odd' }])).toEqual([]);
    const found = diagnose([EXAMPLES['pending-migrations']!, { source: 'event', text: 'fine' }, EXAMPLES['connection-refused']!]);
    expect(found.map((f) => f.rule)).toEqual(['pending-migrations', 'connection-refused']);
  });
});
