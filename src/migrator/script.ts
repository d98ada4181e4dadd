/**
 * Deployment scripts for a DBA to review and apply with psql, each leaving a
 * journal that `status` and `migrate` recognise:
 *
 * - the whole deployment as one script for `psql -1 -v ON_ERROR_STOP=1 -f`
 *   (the seed's "master deploy"): every migration in the order `migrate` uses,
 *   each followed by its journal row;
 * - one component (the seed's 001_DeployTables … 004_DeployTriggers): its
 *   migrations in that order, each in its own transaction with its journal
 *   row, skipping those already applied, refusing to start before the earlier
 *   components are in;
 * - one migration with its journal row.
 */
import { PersistorError } from '../errors.js';
import { sqlFile } from '../sql-files.js';
import { loadMigrations, normaliseVersion, type Migration } from './files.js';
import { inDeploymentOrder } from './order.js';

/** The seed's deployment components, in the order they are applied. */
export const COMPONENTS = ['tables', 'functions', 'procedures', 'triggers'] as const;
/** One of the seed's deployment components. */
export type Component = (typeof COMPONENTS)[number];

/**
 * The component a migration belongs to: every versioned migration is `tables`
 * (the schema and its changes, applied before any routine, as `migrate` does);
 * repeatables under `procedures/` or `triggers/` are those, and the user
 * actions beside the seed's routines (`actions/`) are `procedures`; any other
 * repeatable (functions/, internal/ helpers) is `functions`.
 */
function componentOf(migration: Migration): Component {
  if (migration.type === 'versioned') return 'tables';
  const folder = migration.script.split('/')[0];
  if (folder === 'actions') return 'procedures';
  return folder === 'procedures' || folder === 'triggers' ? folder : 'functions';
}

/** A SQL string literal. Values here come from file names and checksums, never from user input. */
function literal(value: string | null): string {
  return value === null ? 'NULL' : `'${value.replace(/'/g, "''")}'`;
}

function journalInsert(migration: Migration): string {
  const values = [
    literal(migration.version ?? null),
    literal(migration.description),
    literal(migration.type),
    literal(migration.script),
    literal(migration.checksum),
  ];
  return `INSERT INTO persistor.schema_history (version, description, type, script, checksum, execution_ms, success)\nVALUES (${values.join(', ')}, 0, true);`;
}

function header(migration: Migration): string {
  return `-- ==== ${migration.script} (${migration.type}, sha256 ${migration.checksum})`;
}

/** Whether the journal already holds the migration as `migrate` would see it: a version applied or baselined, a repeatable's latest checksum. */
function appliedCondition(migration: Migration): string {
  if (migration.type === 'versioned') {
    return `EXISTS (SELECT 1 FROM persistor.schema_history WHERE version = ${literal(migration.version!)} AND success)`;
  }
  return (
    `COALESCE((SELECT checksum = ${literal(migration.checksum)} AND success FROM persistor.schema_history` +
    ` WHERE type = 'repeatable' AND description = ${literal(migration.description)} ORDER BY installed_rank DESC LIMIT 1), false)`
  );
}

/** A migration and its journal row in one transaction (or, for a no-transaction file, one after the other). */
function atomicMigration(migration: Migration): string[] {
  if (!migration.transactional) {
    return [
      '-- runs outside a transaction (as `migrate` runs it): its journal row follows only when every statement succeeded',
      migration.sql.trimEnd(),
      journalInsert(migration),
    ];
  }
  return ['BEGIN;', migration.sql.trimEnd(), journalInsert(migration), 'COMMIT;'];
}

/** psql: apply the migration unless the journal already has it. */
function whenPending(migration: Migration): string[] {
  return [
    `SELECT NOT ${appliedCondition(migration)} AS persistor_pending \\gset`,
    '\\if :persistor_pending',
    ...atomicMigration(migration),
    '\\else',
    `\\echo '${migration.script}: already applied, skipped'`,
    '\\endif',
  ];
}

/** A DO block that stops the script (ON_ERROR_STOP) when any of `required` is not in the journal. */
function requireApplied(required: readonly Migration[], before: Component): string {
  const checks = required.map((m) => `(${literal(m.script)}, ${appliedCondition(m)})`).join(',\n      ');
  return `DO $persistor$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(script, ', ') INTO missing
  FROM (VALUES
      ${checks}
  ) AS required(script, applied)
  WHERE NOT applied;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'apply the components before ${before} first (ecliptix-persistor sql --component <name>); not applied: %', missing;
  END IF;
END
$persistor$;`;
}

/**
 * The whole deployment as one script for `psql -1 -v ON_ERROR_STOP=1 -f`.
 *
 * @example
 * const { script } = await deploymentScript(shippedMigrationsDir, { journal: true });
 */
export async function deploymentScript(
  migrationsDir: string,
  options: { journal: boolean },
): Promise<{ script: string; migrations: Migration[] }> {
  const ordered = inDeploymentOrder(await loadMigrations(migrationsDir));
  const parts = [
    '-- EcliptixMemberships deployment script, generated by `ecliptix-persistor sql`.',
    '-- Apply to an empty database with: psql -1 -v ON_ERROR_STOP=1 -f <this file>',
    `-- ${ordered.length} migrations; repeatables follow their declared dependencies.`,
    '',
  ];
  if (options.journal) parts.push(sqlFile('persistor/create-journal.sql').trimEnd(), '');
  for (const migration of ordered) {
    parts.push(header(migration));
    if (!migration.transactional)
      parts.push('-- NOTE: this migration runs outside a transaction with `migrate`; apply it separately without -1.');
    parts.push(migration.sql.trimEnd(), '');
    if (options.journal) parts.push(journalInsert(migration), '');
  }
  return { script: `${parts.join('\n')}\n`, migrations: ordered };
}

/**
 * One component of the deployment (the seed's `00N_Deploy<Component>.sql`) for
 * `psql -v ON_ERROR_STOP=1 -f` (without -1: each migration is its own
 * transaction). Run them in COMPONENTS order; a re-run skips what is applied.
 *
 * @example
 * const { script } = await componentScript(shippedMigrationsDir, 'procedures');
 */
export async function componentScript(migrationsDir: string, component: Component): Promise<{ script: string; migrations: Migration[] }> {
  const ordered = inDeploymentOrder(await loadMigrations(migrationsDir));
  const rank = COMPONENTS.indexOf(component);
  const mine = ordered.filter((m) => componentOf(m) === component);
  const earlier = ordered.filter((m) => COMPONENTS.indexOf(componentOf(m)) < rank);
  for (const migration of mine) {
    const late = ordered.find((m) => migration.dependsOn.includes(m.description) && COMPONENTS.indexOf(componentOf(m)) > rank);
    if (late) {
      throw new PersistorError(
        'MIGRATION_FILES_INVALID',
        `${migration.script} (component ${component}) depends on ${late.script}, which is in the later component ${componentOf(late)}; deploy with \`sql\` or \`migrate\` instead`,
      );
    }
  }
  const number = String(rank + 1).padStart(3, '0');
  const parts = [
    `-- ${number}_Deploy${component[0]!.toUpperCase()}${component.slice(1)}: EcliptixMemberships component "${component}", generated by \`ecliptix-persistor sql --component ${component}\`.`,
    '-- Apply with: psql -v ON_ERROR_STOP=1 -f <this file>   (components in order: ' + COMPONENTS.join(', ') + ')',
    `-- ${mine.length} migration(s), each in its own transaction with its journal row; those already applied are skipped.`,
    '',
    sqlFile('persistor/create-journal.sql').trimEnd(),
    '',
  ];
  if (earlier.length > 0) parts.push(requireApplied(earlier, component), '');
  for (const migration of mine) parts.push(header(migration), ...whenPending(migration), '');
  return { script: `${parts.join('\n')}\n`, migrations: mine };
}

/** Whether `selector` names the migration: its file name, its path, its description, or (versioned) its version with or without the V. */
function names(migration: Migration, selector: string): boolean {
  const fileName = migration.script.split('/').pop()!;
  if ([migration.script, fileName, fileName.replace(/\.sql$/, ''), migration.description].includes(selector)) return true;
  const version = /^[Vv]?(\d+(?:[._]\d+)*)$/.exec(selector)?.[1];
  return migration.version !== undefined && version !== undefined && normaliseVersion(version) === migration.version;
}

/**
 * One migration with its journal row, for `psql -v ON_ERROR_STOP=1 -f`: in one
 * transaction (unless the file runs outside one), applied only when the journal
 * does not have it yet. `selector`: a file name or path, a description, or a
 * version (`14`, `V014`, `1.1`).
 *
 * @example
 * const { script } = await migrationScript(shippedMigrationsDir, 'V014');
 */
export async function migrationScript(migrationsDir: string, selector: string): Promise<{ script: string; migration: Migration }> {
  const ordered = inDeploymentOrder(await loadMigrations(migrationsDir));
  const matches = ordered.filter((m) => names(m, selector));
  if (matches.length !== 1) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      matches.length === 0
        ? `no migration named ${JSON.stringify(selector)}: give a file name, a path, a description or a version (e.g. ${ordered[0]?.script ?? 'V001__x.sql'})`
        : `${JSON.stringify(selector)} names ${matches.length} migrations (${matches.map((m) => m.script).join(', ')}): give the file path`,
    );
  }
  const migration = matches[0]!;
  const parts = [
    `-- ${migration.script}, with its journal row, generated by \`ecliptix-persistor sql --migration\`.`,
    '-- Apply with: psql -v ON_ERROR_STOP=1 -f <this file>   (skipped when the journal already has it)',
    '',
    sqlFile('persistor/create-journal.sql').trimEnd(),
    '',
    header(migration),
    ...whenPending(migration),
  ];
  return { script: `${parts.join('\n')}\n`, migration };
}
