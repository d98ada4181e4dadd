/**
 * Drift: does each object in schema `ecliptix` still have the definition the
 * migration files give it? Someone editing a procedure by hand on the server
 * is the usual cause.
 *
 * Exact rather than heuristic: inside ONE transaction that is always rolled
 * back, describe the live objects from the catalog (pg_get_functiondef,
 * pg_get_triggerdef, and for tables their columns, constraints, indexes and
 * triggers), move the live schema aside (ALTER SCHEMA … RENAME), run every
 * migration file into a fresh `ecliptix`, describe that, and compare the two
 * texts object by object. The server itself renders both sides, so formatting
 * never differs; nothing is committed, and other sessions never see the
 * renamed schema (catalog changes are transactional too).
 */
import type { Database, Queryable } from '../db/database.js';
import { PersistorError, messageOf } from '../errors.js';
import { loadMigrations, type Migration } from '../migrator/files.js';
import { inDeploymentOrder } from '../migrator/order.js';
import { describeSqlError } from '../migrator/sql-error.js';
import { sqlFile } from '../sql-files.js';

/** What a compared definition belongs to: a manifest object, or a support routine (schema ecliptix_internal). */
export type DefinitionKind = 'table' | 'routine' | 'trigger' | 'support routine';

/** One object whose live definition differs from the one the migration files build. */
export interface Drift {
  kind: DefinitionKind;
  name: string;
  /** Definition lines the live object has and the shipped one does not (first few). */
  live: string[];
  /** Definition lines the shipped object has and the live one does not (first few). */
  shipped: string[];
}

/** Options of {@link findDrift}. */
export interface FindDriftOptions {
  /**
   * The database is a cluster partition (docs/SCALE-OUT.md): the rebuilt
   * schema gets the partition's intended differences too — the script that
   * gave the live one its identifier defaults ({@link PARTITION_DIFFERENCES},
   * every `unique_id` default set to `ecliptix_partition.new_unique_id()`) is
   * run on it after the migration files — so exactly those differences are
   * accepted and any other one (a `unique_id` default put back to
   * `gen_random_uuid()` included) is still drift.
   */
  partition?: boolean;
}

/** The script of the partitions' intended differences from the shipped schema (their identifier defaults). */
const PARTITION_DIFFERENCES = 'cluster/partition/02-unique-ids.sql';

/** What {@link findDrift} compared and what differed. */
export interface DriftReport {
  /** Objects whose live definition was compared with the shipped one. */
  checked: number;
  drifted: Drift[];
}

interface DefinitionRow {
  name: string;
  kind: DefinitionKind;
  definition: string;
}

const MAX_LINES_SHOWN = 6;

type Definitions = Map<string, DefinitionRow>;

async function describe(db: Queryable, file: string): Promise<Definitions> {
  const { rows } = await db.query<DefinitionRow>(sqlFile(file));
  return new Map(rows.map((row) => [`${row.kind}:${row.name}`, row]));
}

/**
 * A file that must run outside a transaction (CREATE INDEX CONCURRENTLY) is
 * rebuilt without CONCURRENTLY: the index it leaves in the catalog is the same.
 */
function rebuildableSql(migration: Migration): string {
  return migration.transactional ? migration.sql : migration.sql.replace(/\bconcurrently\b/gi, '');
}

function lineDiff(live: string, shipped: string): { live: string[]; shipped: string[] } {
  const liveLines = live.split('\n');
  const shippedLines = shipped.split('\n');
  const shippedSet = new Set(shippedLines);
  const liveSet = new Set(liveLines);
  return {
    live: liveLines.filter((line) => !shippedSet.has(line)).slice(0, MAX_LINES_SHOWN),
    shipped: shippedLines.filter((line) => !liveSet.has(line)).slice(0, MAX_LINES_SHOWN),
  };
}

/**
 * Compares the live definition of every object in schema ecliptix (and of the
 * support routines) with what the files in `migrationsDir` build, in a
 * transaction that is rolled back. Objects missing on either side are not
 * drift: presence is checked by inspectObjects (schema/objects.ts). On a
 * cluster partition pass `{ partition: true }` (see {@link FindDriftOptions}).
 *
 * @example
 * ```ts
 * const { drifted } = await findDrift(db, shippedMigrationsDir);
 * for (const d of drifted) console.log(`drift: ${d.kind} ${d.name}`);
 * ```
 */
export async function findDrift(db: Database, migrationsDir: string, options: FindDriftOptions = {}): Promise<DriftReport> {
  const migrations = await loadMigrations(migrationsDir);
  const ordered = inDeploymentOrder(migrations);

  const { rows } = await db.query<{ ecliptix_exists: boolean }>(sqlFile('operations/schema-exists.sql'));
  if (!rows[0]?.ecliptix_exists) return { checked: 0, drifted: [] };

  return db
    .transaction(
      async (tx) => {
        const live = await describe(tx, 'operations/describe-objects.sql');
        const liveSupport = await describe(tx, 'operations/describe-support-routines.sql');
        await tx.exec(sqlFile('operations/set-aside-live-schema.sql'));
        for (const migration of ordered) {
          try {
            await tx.exec(rebuildableSql(migration));
          } catch (error) {
            const { message, details } = describeSqlError(error, migration.sql);
            throw new PersistorError('VALIDATION_FAILED', `drift check: cannot rebuild the schema from ${migration.script}${message}`, {
              details: [...details, 'nothing was changed (the check runs in a transaction that is rolled back)'],
              cause: error,
            });
          }
        }
        if (options.partition) {
          try {
            await tx.exec(sqlFile(PARTITION_DIFFERENCES));
          } catch (error) {
            throw new PersistorError(
              'VALIDATION_FAILED',
              `drift check: cannot give the rebuilt schema the partition's identifier defaults (sql/${PARTITION_DIFFERENCES}): ${messageOf(error)}`,
              { details: ['is this database a deployed cluster partition?'], cause: error },
            );
          }
        }
        const shipped = await describe(tx, 'operations/describe-objects.sql');
        const shippedSupport = await describe(tx, 'operations/describe-support-routines.sql');

        const drifted: Drift[] = [];
        let checked = 0;
        for (const [before, after] of [
          [live, shipped],
          [liveSupport, shippedSupport],
        ] as const) {
          for (const [key, liveRow] of before) {
            const shippedRow = after.get(key);
            if (!shippedRow) continue;
            checked++;
            if (liveRow.definition === shippedRow.definition) continue;
            drifted.push({ kind: liveRow.kind, name: liveRow.name, ...lineDiff(liveRow.definition, shippedRow.definition) });
          }
        }
        return { checked, drifted };
      },
      { rollback: true },
    )
    .catch((error: unknown) => {
      if (error instanceof PersistorError) throw error;
      throw new PersistorError('OPERATION_FAILED', `drift check failed: ${messageOf(error)}`, { cause: error });
    });
}
