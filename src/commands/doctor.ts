/**
 * `doctor`: what the deployment guide asks a person to attach to an issue
 * report, gathered in one report — versions, the configuration and where each
 * value came from (secrets masked), the connection test, status, the
 * journal's failed entries, the last errors the routines recorded — plus the
 * likely cause and fix of each problem it recognises (operations/doctor-rules.ts).
 * It never fails because of what it finds: a database it cannot reach is part
 * of the report, with the connection diagnosis.
 */
import type { Config, ConfigKey } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { isPersistorError, messageOf } from '../errors.js';
import { readFailedMigrations, readRecordedErrors, type FailedMigration, type RecordedError } from '../operations/doctor.js';
import {
  describeConfig,
  describeSecrets,
  readVersions,
  secretsOf,
  type DoctorConfigValue,
  type DoctorSecret,
  type DoctorVersions,
} from '../operations/doctor-environment.js';
import { diagnose, type Finding, type Observation } from '../operations/doctor-rules.js';
import { APPLICATION_ROUTINES } from '../schema/manifest.js';
import { maskDatabaseUrl, redact } from '../util/redact.js';
import { clusterStatus, type ClusterStatusReport } from './cluster-status.js';
import { clusterMembers, withEachMember } from './cluster-runtime.js';
import { resolveConfig, type PersistorOptions } from './runtime.js';
import { status, type StatusReport } from './status.js';
import { testConnection, type ConnectionReport } from './test-connection.js';

/** Options of {@link doctor}: the database (configuration values or an open `db`), and where the values came from. */
export interface DoctorOptions extends PersistorOptions {
  /** Where the keyrings are looked for (default process.env); only whether they are set, and their key ids, are reported. */
  env?: NodeJS.ProcessEnv;
  /** Where each configuration value came from (a flag, a variable, the config file), as `loadConfig` records it; the CLI passes it. */
  origins?: Partial<Record<ConfigKey, string>>;
  /** The config file that was read, if any. */
  configFile?: string;
}

/** The connection test: `test`'s report, or why the database could not be reached. */
export type DoctorConnection =
  | ({ ok: true } & ConnectionReport)
  | {
      ok: false;
      /** The database (password masked) or embedded data directory. */
      target: string;
      /** The error's stable code (CONNECTION_FAILED, DATABASE_IN_USE, …). */
      code: string;
      error: string;
    };

/** One database of a cluster: its connection test. */
export interface DoctorMember {
  name: string;
  connection: DoctorConnection;
}

/** What {@link doctor} gathered. Secrets never appear in it. */
export interface DoctorReport {
  generatedAt: string;
  versions: DoctorVersions & {
    /** The database server's (or PGlite's PostgreSQL) version, from the connection test. */
    database?: { engine: 'pglite' | 'postgres'; serverVersion: string };
  };
  configuration: {
    configFile?: string;
    /** Every key (none when the configuration is invalid: then `error` says why). */
    values: DoctorConfigValue[];
    secrets: DoctorSecret[];
    /** Why the configuration could not be loaded (nothing was connected to). */
    error?: string;
  };
  /** On one database: the connection test. On a cluster: the proxy's (each partition's is in `cluster`). */
  connection: DoctorConnection;
  /** `status`'s report (absent when the database could not be reached or read; see `notes`). */
  status?: StatusReport;
  /** On a cluster: each partition's and the proxy's connection test, and `status` on the cluster. */
  cluster?: { members: DoctorMember[]; status?: ClusterStatusReport };
  /** The journal's failed entries (persistor.schema_history rows with success = false). */
  failedMigrations: FailedMigration[];
  /** The last errors the routines recorded in ecliptix.event_log, newest first. */
  recordedErrors: RecordedError[];
  /** Parts of the report that could not be gathered, and why. */
  notes: string[];
  /** Each recognised problem: what was seen, its likely cause and the command to run. */
  findings: Finding[];
}

/** How long doctor waits for an embedded database another process holds, unless a lock timeout is configured. */
const DOCTOR_LOCK_WAIT_MS = 3000;

function connectionFailure(target: string, error: unknown): Extract<DoctorConnection, { ok: false }> {
  return { ok: false, target, code: isPersistorError(error) ? error.code : 'OPERATION_FAILED', error: messageOf(error) };
}

function observationOf(source: Observation['source'], error: unknown): Observation {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const own = (error as { code?: unknown }).code;
  const sqlState = typeof cause?.code === 'string' ? cause.code : typeof own === 'string' && !isPersistorError(error) ? own : undefined;
  return {
    source,
    ...(isPersistorError(error) ? { code: error.code } : {}),
    ...(sqlState ? { sqlState } : {}),
    text: messageOf(error),
  };
}

/** What `status` reports that may be a problem, as observations. */
function statusObservations(report: StatusReport): Observation[] {
  // A failed run is also a journal entry, observed there with its failure: not twice.
  const failed = report.migrations.filter((m) => m.state === 'failed').map((m) => `${m.script}: failed`);
  const seen: Observation[] = report.problems
    .filter((text) => !failed.some((prefix) => text.startsWith(prefix)))
    .map((text) => ({ source: 'status', text }));
  if (report.counts.pending > 0) {
    const pending = report.migrations.filter((m) => m.state === 'pending').map((m) => m.script);
    seen.push({ source: 'status', text: `${pending.length} migration(s) pending: ${pending.join(', ')}` });
  }
  const app = report.roles?.find((role) => role.purpose === 'app');
  if (app && app.executableRoutines < APPLICATION_ROUTINES.length) {
    seen.push({
      source: 'status',
      text: `role ${app.roleName} (application) may execute ${app.executableRoutines} of the ${APPLICATION_ROUTINES.length} routines`,
    });
  }
  const missing = report.schema?.objects.filter((o) => !o.present).map((o) => o.name) ?? [];
  if (missing.length > 0 && report.counts.pending === 0) {
    seen.push({ source: 'status', text: `${missing.length} object(s) missing from schema ecliptix: ${missing.join(', ')}` });
  }
  return seen;
}

/** Every string in `value` with each secret masked (Dates and other values kept). */
function scrub<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => scrub(item, secrets)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item, secrets)])) as T;
  }
  return value;
}

/** The journal's failed entries and the recorded errors of one open database (on a cluster, `database` names it). */
async function readJournalAndErrors(
  db: Database,
  report: Pick<DoctorReport, 'failedMigrations' | 'recordedErrors' | 'notes'>,
  observations: Observation[],
  database?: string,
): Promise<void> {
  const on = database ? `${database}: ` : '';
  const tag = database ? { database } : {};
  try {
    const failed = (await readFailedMigrations(db)).map((entry) => ({ ...tag, ...entry }));
    report.failedMigrations.push(...failed);
    for (const entry of failed) {
      observations.push({ source: 'journal', text: `${on}${entry.script} failed: ${entry.failure ?? 'no reason recorded'}` });
    }
  } catch (error) {
    report.notes.push(`${on}the journal could not be read: ${messageOf(error)}`);
  }
  try {
    const recorded = (await readRecordedErrors(db)).map((event) => ({ ...tag, ...event }));
    report.recordedErrors.push(...recorded);
    for (const event of recorded) observations.push({ source: 'event', text: `${on}${event.eventType}: ${event.message}` });
  } catch (error) {
    report.notes.push(`${on}the event log could not be read: ${messageOf(error)}`);
  }
}

/** Gathers what one open database can tell: status, failed journal entries, recorded errors. */
async function readDatabase(db: Database, config: Config, report: DoctorReport, observations: Observation[]): Promise<void> {
  try {
    report.status = await status({ ...config, db });
    observations.push(...statusObservations(report.status));
  } catch (error) {
    report.notes.push(`status could not be read: ${messageOf(error)}`);
    observations.push(observationOf('status', error));
  }
  await readJournalAndErrors(db, report, observations);
}

/** The connection test of an open database; a failure of the test itself is reported, not thrown. */
async function connectionTest(db: Database, config: Config, observations: Observation[]): Promise<DoctorConnection> {
  try {
    const report = await testConnection({ ...config, db });
    if (!report.canCreate) {
      observations.push({
        source: 'connection',
        text: `user ${report.user} cannot create schemas in database ${report.database}: migrate will fail`,
      });
    }
    return { ok: true, ...report };
  } catch (error) {
    observations.push(observationOf('connection', error));
    return connectionFailure(db.target, error);
  }
}

/** A cluster: every member's connection test, and status on the cluster. */
async function clusterPart(options: DoctorOptions, config: Config, report: DoctorReport, observations: Observation[]): Promise<void> {
  const { partitions, proxy } = clusterMembers(config.cluster!);
  const members = await withEachMember(config, [...partitions, proxy], async (opened) => {
    const tested: DoctorMember[] = [];
    for (const member of opened) {
      if ('db' in member) {
        const connection = await connectionTest(member.db, config, observations);
        tested.push({ name: member.name, connection });
        if (connection.ok) await readJournalAndErrors(member.db, report, observations, member.name);
      } else {
        observations.push(observationOf('connection', member.error));
        tested.push({ name: member.name, connection: connectionFailure(member.target, member.error) });
      }
    }
    return tested;
  });
  report.connection = members.at(-1)!.connection;
  report.cluster = { members };
  try {
    report.cluster.status = await clusterStatus({ ...config, ...(options.logger ? { logger: options.logger } : {}) });
    for (const partition of report.cluster.status.partitions) {
      if (!partition.reachable) continue;
      const name = `partition ${partition.index} (${partition.target})`;
      observations.push(...statusObservations(partition).map((seen) => ({ ...seen, text: `${name}: ${seen.text}` })));
    }
  } catch (error) {
    report.notes.push(`cluster status could not be read: ${messageOf(error)}`);
  }
}

/**
 * The report when the configuration itself is invalid (a malformed URL, an
 * unknown key, a conflict): versions, the keyrings, and the error with its
 * cause and fix; nothing is connected to. `urls` are database URLs that may
 * hold a password the message could show (DATABASE_URL is read from `env`).
 *
 * @example
 * ```ts
 * const report = doctorOfInvalidConfiguration(error, { urls: [flags.databaseUrl] })
 * ```
 */
export function doctorOfInvalidConfiguration(
  error: unknown,
  options: { env?: NodeJS.ProcessEnv; urls?: readonly (string | undefined)[] } = {},
): DoctorReport {
  const env = options.env ?? process.env;
  const observation = observationOf('configuration', error);
  const report: DoctorReport = {
    generatedAt: new Date().toISOString(),
    versions: readVersions(),
    configuration: { values: [], secrets: describeSecrets(env), error: observation.text },
    connection: { ok: false, target: '', code: 'INVALID_CONFIG', error: 'not tested: the configuration is invalid' },
    failedMigrations: [],
    recordedErrors: [],
    notes: [],
    findings: diagnose([observation]),
  };
  const secrets = [env.DATABASE_URL, ...(options.urls ?? [])].flatMap((url) => secretsOf({ databaseUrl: url }, env));
  return scrub(report, secrets);
}

/**
 * Gathers what an issue report needs — versions, the configuration and where
 * each value came from (secrets masked), the connection test, status, the
 * journal's failed entries and the last errors the routines recorded — and
 * the likely cause and fix of each problem it recognises. It does not throw
 * for what it finds: a database that cannot be reached, or invalid
 * configuration, is in the report.
 *
 * @example
 * ```ts
 * import { doctor } from 'ecliptix-persistor'
 *
 * const report = await doctor({ databaseUrl: process.env.DATABASE_URL })
 * for (const finding of report.findings) console.log(`${finding.seen}\n  cause: ${finding.cause}\n  fix: ${finding.fix}`)
 * ```
 */
export async function doctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const { env = process.env, origins, configFile, db: given, logger, ...values } = options;
  let config: Config;
  try {
    config = resolveConfig(values);
  } catch (error) {
    return doctorOfInvalidConfiguration(error, { env, urls: [values.databaseUrl] });
  }
  const observations: Observation[] = [];
  const report: DoctorReport = {
    generatedAt: new Date().toISOString(),
    versions: readVersions(),
    configuration: {
      ...(configFile ? { configFile } : {}),
      values: describeConfig(config, {
        ...(origins ? { origins } : {}),
        ...(configFile ? { configFile } : {}),
        given: new Set(origins ? [] : Object.keys(values).filter((key) => values[key as keyof typeof values] !== undefined)),
      }),
      secrets: describeSecrets(env),
    },
    connection: { ok: false, target: '', code: 'OPERATION_FAILED', error: 'not tested' },
    failedMigrations: [],
    recordedErrors: [],
    notes: [],
    findings: [],
  };

  if (config.cluster && !given) {
    await clusterPart(options, config, report, observations);
  } else {
    const target = config.databaseUrl ? maskDatabaseUrl(config.databaseUrl) : config.dataDir;
    let db: Database | undefined = given;
    if (!db) {
      try {
        // A diagnosis should not wait a minute for an embedded database another process holds: unless a lock
        // timeout was asked for, it waits a few seconds and then reports who holds it.
        const asked = origins?.lockTimeoutMs !== undefined || (!origins && values.lockTimeoutMs !== undefined);
        const lockTimeoutMs = asked ? config.lockTimeoutMs : Math.min(config.lockTimeoutMs, DOCTOR_LOCK_WAIT_MS);
        db = await openDatabase({ ...config, lockTimeoutMs }, { mustExist: true });
      } catch (error) {
        observations.push(observationOf('connection', error));
        report.connection = connectionFailure(target, error);
      }
    }
    if (db) {
      try {
        report.connection = await connectionTest(db, config, observations);
        if (report.connection.ok) await readDatabase(db, config, report, observations);
      } finally {
        if (!given) await db.close().catch(() => undefined);
      }
    }
  }
  if (report.connection.ok) {
    report.versions.database = { engine: report.connection.engine, serverVersion: report.connection.serverVersion };
  }
  logger?.debug({ observations: observations.length }, 'doctor gathered');
  report.findings = diagnose(observations);
  return scrub(report, secretsOf(config, env));
}
