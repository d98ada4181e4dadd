/**
 * `doctor`'s rules: the problems it recognises — the deployment guide's
 * troubleshooting list (permissions, dependency order, objects that already
 * exist, connection settings) and the states this tool adds (a database in
 * use, a failed or edited migration) — each as what to look for, its likely
 * cause and the command that fixes it. A table, so that a rule is one entry
 * and one unit test.
 */

/** Where doctor saw something: loading the configuration, connecting, a journal row, the status report, the routines' event log. */
export type ObservationSource = 'configuration' | 'connection' | 'journal' | 'status' | 'event';

/** One thing doctor saw that may be a problem. */
export interface Observation {
  source: ObservationSource;
  /** The error's stable code (`CONNECTION_FAILED`, `DATABASE_IN_USE`, …) when there was one. */
  code?: string;
  /** PostgreSQL's SQLSTATE or Node's error code (`ECONNREFUSED`) when known. */
  sqlState?: string;
  /** What was seen, as a person reads it (secrets already masked). */
  text: string;
}

/** A recognised problem: what was seen, its likely cause and what to run. */
export interface Finding {
  /** The rule's stable id (`connection-refused`, `already-exists`, …). */
  rule: string;
  source: ObservationSource;
  seen: string;
  cause: string;
  fix: string;
}

interface Rule {
  id: string;
  sources: readonly ObservationSource[];
  /** SQLSTATEs or error codes that match outright. */
  codes?: readonly string[];
  /** Or text that matches. */
  pattern?: RegExp;
  cause: string;
  fix: string;
}

const CONNECTION_HELP =
  'check the host, port and database of --database-url / DATABASE_URL / databaseUrl, then run `ecliptix-persistor test`';

/** First match wins: the specific rules before the general ones. */
export const DOCTOR_RULES: readonly Rule[] = [
  {
    id: 'invalid-configuration',
    sources: ['configuration'],
    codes: ['INVALID_CONFIG'],
    pattern: /invalid configuration/i,
    cause:
      'a configuration value is malformed or unknown, or two conflict; the message names the key and where it came from (a flag, a variable or the config file)',
    fix: 'correct that value where the message says it came from (see README, Configuration), then run `ecliptix-persistor doctor` again',
  },
  {
    id: 'database-in-use',
    sources: ['connection'],
    codes: ['DATABASE_IN_USE'],
    pattern: /database in use/i,
    cause: 'another process has the embedded database open (PGlite allows one process at a time)',
    fix: 'stop or wait for the process named above (or raise --lock-timeout), then run the command again; a second process needs a PostgreSQL server (--database-url)',
  },
  {
    id: 'no-embedded-database',
    sources: ['connection'],
    pattern: /no embedded database at/i,
    cause: 'the data directory holds no database yet (or --data-dir / ECLIPTIX_DATA_DIR names another directory than intended)',
    fix: '`ecliptix-persistor migrate` to create it, or `--data-dir <dir>` to point at the existing one',
  },
  {
    id: 'connection-refused',
    sources: ['connection'],
    codes: ['ECONNREFUSED'],
    pattern: /connection refused/i,
    cause:
      'nothing listens at that host and port: the server is not running, the port is wrong, or it listens on another address (listen_addresses)',
    fix: `start the server or correct the port; \`pg_isready -h <host> -p <port>\`; ${CONNECTION_HELP}`,
  },
  {
    id: 'host-not-found',
    sources: ['connection'],
    codes: ['ENOTFOUND', 'EAI_AGAIN'],
    pattern: /cannot resolve the host/i,
    cause: 'the host name does not resolve (a typo, or DNS not reachable from here)',
    fix: `correct the host; ${CONNECTION_HELP}`,
  },
  {
    id: 'connection-timeout',
    sources: ['connection'],
    codes: ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'],
    pattern: /timeout|timed out|EHOSTUNREACH|ENETUNREACH/i,
    cause: 'no answer in time: a firewall or security group drops the traffic, the host is down, or the network is slow',
    fix: `check the firewall between here and the server, or raise --connect-timeout <ms>; ${CONNECTION_HELP}`,
  },
  {
    id: 'authentication-failed',
    sources: ['connection'],
    codes: ['28P01', '28000'],
    pattern: /authentication failed|no pg_hba\.conf entry/i,
    cause: "the user name or password is wrong, or the server's pg_hba.conf does not admit this user from this host",
    fix: 'correct the user and password in the URL (or PGPASSWORD / ~/.pgpass), or add a pg_hba.conf line for this host; then `ecliptix-persistor test`',
  },
  {
    id: 'ssl',
    sources: ['connection'],
    pattern: /\bssl\b|tls|certificate/i,
    cause: 'the client and server disagree about SSL (the server requires it, does not support it, or its certificate is not trusted)',
    fix: 'set sslmode in the URL (`?sslmode=require`, or `?sslmode=verify-full&sslrootcert=<ca.pem>`; `sslmode=disable` only on a trusted network); then `ecliptix-persistor test`',
  },
  {
    id: 'database-missing',
    sources: ['connection'],
    codes: ['3D000'],
    pattern: /database missing|database "[^"]*" does not exist/i,
    cause: 'the server is reachable but has no database of that name (it is not created by the tool)',
    fix: '`createdb <name>` (or CREATE DATABASE as a superuser), or correct the database name in the URL; then `ecliptix-persistor migrate`',
  },
  {
    id: 'server-starting',
    sources: ['connection'],
    codes: ['57P03'],
    pattern: /not accepting connections/i,
    cause: 'the server is starting up, shutting down or in recovery',
    fix: 'wait and run `ecliptix-persistor test` again; check the server log if it persists',
  },
  {
    id: 'permission-denied',
    sources: ['connection', 'journal', 'event', 'status'],
    codes: ['42501'],
    pattern: /permission denied|must be owner|insufficient privilege|cannot create schemas/i,
    cause: 'the connecting user lacks a privilege the deployment needs (CREATE on the database, ownership of the objects, or a grant)',
    fix: 'connect as the owner (`GRANT CREATE ON DATABASE <db> TO <user>`, or deploy as the database owner), then `ecliptix-persistor roles` to create the roles and grants, and `ecliptix-persistor migrate`',
  },
  {
    id: 'already-exists',
    sources: ['journal', 'event', 'status'],
    codes: ['42P07', '42710', '42723', '42P06', '42P16'],
    pattern: /already exists/i,
    cause: 'objects exist that the journal does not know of: a partial manual deploy (a component script run by hand) or an earlier tool',
    fix: '`ecliptix-persistor verify` to see what is there; if everything up to a version was deployed by hand, `ecliptix-persistor baseline --version <v>`; after a failed run `ecliptix-persistor repair`, then `ecliptix-persistor migrate`',
  },
  {
    id: 'dependency-order',
    sources: ['journal', 'event'],
    codes: ['42P01', '42883', '3F000', '42704', '23503'],
    pattern: /does not exist|violates foreign key constraint/i,
    cause: 'something was deployed before what it depends on (a component or migration run out of order, or a referenced row missing)',
    fix: '`ecliptix-persistor status` for the order; deploy with `ecliptix-persistor migrate` (it runs in dependency order), or `ecliptix-persistor sql --component <c>` in the order tables, functions, procedures, triggers; after a failed run, `ecliptix-persistor repair` first',
  },
  {
    id: 'grants-missing',
    sources: ['status'],
    pattern: /may execute \d+ of the \d+ routines/i,
    cause: 'the application role lacks EXECUTE on some routines: routines re-created by hand or restored without their grants',
    fix: '`ecliptix-persistor roles` (as the owner) re-applies every grant; `ecliptix-persistor status` shows what each role may do',
  },
  {
    id: 'out-of-order',
    sources: ['status'],
    pattern: /is pending but the later version/i,
    cause: 'a migration file was added with a version older than one already applied (work from two branches merged)',
    fix: 'give the new file a version after the newest applied one (`ecliptix-persistor status` lists them), then `ecliptix-persistor migrate`',
  },
  {
    id: 'checksum-mismatch',
    sources: ['status'],
    pattern: /checksum/i,
    cause: 'an applied migration file was edited after it ran',
    fix: '`ecliptix-persistor validate` names it; restore the file, or if the edit is intended `ecliptix-persistor repair`',
  },
  {
    id: 'failed-migration',
    sources: ['journal', 'status'],
    pattern: /fail/i,
    cause: 'a migration failed part-way outside a transaction, and later runs refuse until it is cleared',
    fix: 'fix what the error names, then `ecliptix-persistor repair` (clears the failed entry) and `ecliptix-persistor migrate`',
  },
  {
    id: 'pending-migrations',
    sources: ['status'],
    pattern: /pending/i,
    cause: 'the database is behind the migration files',
    fix: '`ecliptix-persistor migrate --dry-run`, then `ecliptix-persistor migrate`',
  },
  {
    id: 'objects-missing',
    sources: ['status'],
    pattern: /missing/i,
    cause: 'objects of the schema are not there (not deployed yet, or dropped by hand)',
    fix: '`ecliptix-persistor verify` names them; `ecliptix-persistor migrate` deploys what is pending',
  },
];

function matches(rule: Rule, observation: Observation): boolean {
  if (!rule.sources.includes(observation.source)) return false;
  const codes = rule.codes ?? [];
  if ((observation.code && codes.includes(observation.code)) || (observation.sqlState && codes.includes(observation.sqlState))) return true;
  return rule.pattern !== undefined && rule.pattern.test(observation.text);
}

/**
 * The recognised problems among `observations`, each with the first rule
 * that matches it; an observation no rule matches is left out (the report
 * still shows it where it was seen).
 *
 * @example
 * ```ts
 * diagnose([{ source: 'connection', sqlState: 'ECONNREFUSED', text: 'connection refused by postgres://db:5432/x' }])[0]!.rule // 'connection-refused'
 * ```
 */
export function diagnose(observations: readonly Observation[], rules: readonly Rule[] = DOCTOR_RULES): Finding[] {
  const findings: Finding[] = [];
  for (const observation of observations) {
    const rule = rules.find((candidate) => matches(candidate, observation));
    if (rule) findings.push({ rule: rule.id, source: observation.source, seen: observation.text, cause: rule.cause, fix: rule.fix });
  }
  return findings;
}
