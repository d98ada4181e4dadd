/**
 * The seed's post-deployment checklist, automated: its five success criteria,
 * each passed or failed with the reasons.
 *
 *   1. All database objects created successfully     — present, of the right kind
 *      (the {@link OBJECT_COUNT} of the manifest)
 *   2. Status check shows all objects as active      — triggers enabled, no drift
 *   3. Core functionality tests pass                 — core-checks.ts, rolled back
 *   4. No error messages in deployment log           — the journal: every
 *      migration succeeded, none pending, failed or edited
 *   5. Application can connect and perform basic operations — as the
 *      application role when one is named, in a transaction rolled back
 *
 * Nothing is left behind: every check that writes runs in a transaction that
 * is rolled back.
 */
import { performance } from 'node:perf_hooks';
import type { Database } from '../db/database.js';
import { messageOf } from '../errors.js';
import { Migrator } from '../migrator/migrator.js';
import type { MigrationStatus } from '../migrator/plan.js';
import { APPLICATION_ROUTINES, MANIFEST, OBJECT_COUNT, ROUTINE_COUNT } from '../schema/manifest.js';
import { expectedKind, inspectObjects, type ObjectState } from '../schema/objects.js';
import { readRolePrivileges } from '../schema/roles.js';
import { sqlFile } from '../sql-files.js';
import { runCoreChecks, type CoreChecksReport } from './core-checks.js';
import { findDrift, type Drift } from './drift.js';

/** One of the seed's five success criteria, passed or failed with the reasons. */
export interface Criterion {
  number: 1 | 2 | 3 | 4 | 5;
  title: string;
  passed: boolean;
  /** Why it failed (or notes when it passed). */
  details: string[];
}

/** A manifest object as {@link inspectObjects} found it, and whether its definition drifted. */
export interface VerifiedObject extends ObjectState {
  /** Live definition differs from the shipped one. */
  drifted: boolean;
}

/**
 * What {@link verifyDatabase} found: the five criteria and what they were judged on.
 *
 * @example
 * ```ts
 * for (const c of report.criteria) console.log(`${c.passed ? 'PASS' : 'FAIL'} ${c.number}. ${c.title}`);
 * ```
 */
export interface VerifyReport {
  passed: boolean;
  criteria: Criterion[];
  objects: VerifiedObject[];
  /** The objects beside the seed's 36 (ADDED_OBJECTS: the user actions), listed apart. */
  added: VerifiedObject[];
  /** What is in schema ecliptix but is no manifest object: unknown names and objects of the wrong kind (as inspectObjects reports them). */
  unexpected: { name: string; kind: string }[];
  drift: Drift[];
  coreChecks: CoreChecksReport;
  connection: { role: string; latencyMs: number };
}

/** Options of {@link verifyDatabase}. */
export interface VerifyOptions {
  /** The migration files, to rebuild the shipped definitions (drift) and read the journal against. */
  migrationsDir: string;
  lockTimeoutMs: number;
  /** The role the application connects as; default the application role of `roles`, else the connected user. */
  appRole?: string;
  /** The database is a cluster partition: its identifier defaults are accepted as drift-free (drift.ts FindDriftOptions). */
  partition?: boolean;
}

const CRITERIA_TITLES = {
  1: `All ${OBJECT_COUNT} database objects created successfully`,
  2: 'Status check shows all objects as active',
  3: 'Core functionality tests pass',
  4: 'No error messages in deployment log',
  5: 'Application can connect and perform basic operations',
} as const;

function criterion(number: Criterion['number'], details: string[], passedNotes: string[] = []): Criterion {
  return { number, title: CRITERIA_TITLES[number], passed: details.length === 0, details: details.length === 0 ? passedNotes : details };
}

function journalProblems(statuses: readonly MigrationStatus[], problems: readonly string[]): string[] {
  if (statuses.every((s) => s.appliedAt === null && s.state !== 'missing')) {
    return ['no migration is recorded as applied: deploy with `ecliptix-persistor migrate` (or the `sql` script)'];
  }
  const details: string[] = [];
  for (const status of statuses) {
    if (status.state === 'pending' || status.state === 'out_of_order') details.push(`pending: ${status.script}`);
    if (status.state === 'outdated') details.push(`changed since applied, not re-applied yet: ${status.script}`);
  }
  return [...details, ...problems];
}

async function checkConnection(
  db: Database,
  appRole: string | undefined,
): Promise<{ details: string[]; notes: string[]; role: string; latencyMs: number }> {
  const started = performance.now();
  await db.query('SELECT 1');
  const latencyMs = Number((performance.now() - started).toFixed(2));
  const { rows } = await db.query<{ role_name: string; role_exists: boolean; connected_as: string }>(sqlFile('operations/role-info.sql'), [
    appRole ?? null,
  ]);
  const info = rows[0]!;
  const details: string[] = [];
  const notes = [`connected as ${info.connected_as} (round trip ${latencyMs} ms)`];
  if (!info.role_exists) return { details: [`role ${info.role_name} does not exist`], notes, role: info.role_name, latencyMs };

  const hasSchema = (await db.query<{ ecliptix_exists: boolean }>(sqlFile('operations/schema-exists.sql'))).rows[0]!.ecliptix_exists;
  if (!hasSchema) return { details: ['schema ecliptix does not exist'], notes, role: info.role_name, latencyMs };

  const privileges = (
    await db.query<{ schema_usage: boolean; can_act_as: boolean; routines_denied: string[] }>(sqlFile('operations/role-privileges.sql'), [
      info.role_name,
    ])
  ).rows[0]!;
  if (!privileges.schema_usage)
    details.push(`role ${info.role_name} lacks USAGE on schema ecliptix (GRANT USAGE ON SCHEMA ecliptix TO ${info.role_name})`);
  if (privileges.routines_denied.length > 0) {
    details.push(
      `role ${info.role_name} may not EXECUTE ${privileges.routines_denied.join(', ')} (GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ecliptix TO ${info.role_name})`,
    );
  }
  const actAs = info.role_name !== info.connected_as && privileges.can_act_as;
  if (info.role_name !== info.connected_as && !actAs) {
    notes.push(
      `basic operations run as ${info.connected_as}: it is not a member of ${info.role_name}, so privileges were checked from the catalog`,
    );
  }
  try {
    await db.transaction(
      async (tx) => {
        if (actAs) await tx.query(sqlFile('operations/act-as-role.sql'), [info.role_name]);
        const result = (await tx.query<{ register_outcome: string; phones_found: number }>(sqlFile('operations/basic-operations.sql')))
          .rows[0]!;
        if (result.register_outcome !== 'created')
          details.push(`registering a device returned ${result.register_outcome}, expected created`);
      },
      { rollback: true },
    );
    notes.push(`registered a device and looked up a phone as ${actAs ? info.role_name : info.connected_as} (rolled back)`);
  } catch (error) {
    details.push(`basic operations as ${actAs ? info.role_name : info.connected_as} failed: ${messageOf(error)}`);
  }
  return { details, notes, role: info.role_name, latencyMs };
}

/**
 * Runs the post-deployment checklist on `db`, leaving nothing behind: the
 * objects come from one {@link inspectObjects}, every write is rolled back.
 *
 * @example
 * ```ts
 * const report = await verifyDatabase(db, { migrationsDir: shippedMigrationsDir, lockTimeoutMs: 10_000 });
 * if (!report.passed) process.exitCode = 5;
 * ```
 */
export async function verifyDatabase(db: Database, options: VerifyOptions): Promise<VerifyReport> {
  const { objects: kinds, added, unexpected } = await inspectObjects(db);

  // 1. present, of the right kind
  const presence: string[] = [];
  for (const object of kinds) {
    if (object.actualKind)
      presence.push(
        `wrong kind: ${object.name} is a ${object.actualKind}, expected ${expectedKind(object)}${object.table ? ` on table ${object.table}` : ''}`,
      );
    else if (!object.present) presence.push(`missing: ${object.kind} ${object.name}`);
  }
  const presentCount = kinds.filter((o) => o.present).length;
  for (const object of added) {
    if (object.actualKind)
      presence.push(`wrong kind (beside the seed): ${object.name} is a ${object.actualKind}, expected ${expectedKind(object)}`);
    else if (!object.present) presence.push(`missing (beside the seed): ${object.kind} ${object.name}`);
  }
  const addedPresent = added.filter((o) => o.present).length;

  // 2. enabled, definitions as shipped
  const active: string[] = [];
  if (presentCount < MANIFEST.length)
    active.push(
      `${MANIFEST.length - presentCount} of the ${MANIFEST.length} objects are missing or of the wrong kind, so not all are active`,
    );
  for (const object of [...kinds, ...added].filter((o) => o.present && !o.enabled)) active.push(`disabled: ${object.kind} ${object.name}`);
  let drift: Drift[] = [];
  let checked = 0;
  try {
    const report = await findDrift(db, options.migrationsDir, options.partition ? { partition: true } : {});
    drift = report.drifted;
    checked = report.checked;
  } catch (error) {
    active.push(messageOf(error));
  }
  for (const item of drift) active.push(`drift: ${item.kind} ${item.name} differs from what the project ships`);

  // 3. core functionality
  let coreChecks: CoreChecksReport;
  try {
    coreChecks = await runCoreChecks(db);
  } catch (error) {
    coreChecks = {
      passed: false,
      checks: [{ name: 'run the core checks', routine: '', passed: false, detail: messageOf(error), durationMs: 0 }],
    };
  }
  const core = coreChecks.checks
    .filter((c) => !c.passed && c.detail !== 'not run (an earlier check failed)')
    .map((c) => `${c.name} (${c.routine}): ${c.detail}`);

  // 4. the journal
  let journal: string[];
  try {
    const plan = await new Migrator({ db, migrationsDir: options.migrationsDir, lockTimeoutMs: options.lockTimeoutMs }).status();
    journal = journalProblems(plan.statuses, plan.problems);
  } catch (error) {
    journal = [messageOf(error)];
  }

  // 5. the application: the role named, else the application role set up by `roles`, else the connected user
  const configuredApp = options.appRole
    ? undefined
    : (await readRolePrivileges(db).catch(() => [])).find((r) => r.purpose === 'app')?.roleName;
  const connection = await checkConnection(db, options.appRole ?? configuredApp);

  const drifted = new Set(drift.filter((d) => d.kind !== 'support routine').map((d) => d.name));
  const criteria = [
    criterion(1, presence, [
      `${presentCount}/${MANIFEST.length} present, each of the right kind`,
      `beside the seed: ${addedPresent}/${added.length} present (${added.map((o) => o.name).join(', ')})`,
    ]),
    criterion(2, active, [
      `every trigger enabled; ${checked} definitions (the ${OBJECT_COUNT}, those beside them and their support routines) identical to what the project ships` +
        (options.partition ? " (with the partition's identifier defaults, ecliptix_partition.new_unique_id())" : ''),
    ]),
    criterion(3, core, [
      `${coreChecks.checks.length} checks through all ${APPLICATION_ROUTINES.length} routines (the seed's ${ROUTINE_COUNT} and the user actions), rolled back`,
    ]),
    criterion(4, journal, ['every migration applied successfully; none pending, failed or edited']),
    criterion(5, connection.details, connection.notes),
  ];
  return {
    passed: criteria.every((c) => c.passed),
    criteria,
    objects: kinds.map((o) => ({ ...o, drifted: drifted.has(o.name) })),
    added: added.map((o) => ({ ...o, drifted: drifted.has(o.name) })),
    unexpected,
    drift,
    coreChecks,
    connection: { role: connection.role, latencyMs: connection.latencyMs },
  };
}
