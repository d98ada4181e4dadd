/** `sql`: deployment scripts for a DBA to review and apply with psql — the whole deployment, one component, or one migration. */
import { resolveConfig, type PersistorOptions } from './runtime.js';
import { PersistorError } from '../errors.js';
import { COMPONENTS, componentScript, deploymentScript, migrationScript, type Component } from '../migrator/script.js';
import { shippedMigrationsDir } from '../sql-files.js';

/** Which script {@link sql} writes. */
export interface SqlCommandOptions extends Pick<PersistorOptions, 'migrationsDir'> {
  /** The whole deployment only: write the journal rows (default true) so that `status` and `migrate` recognise it. */
  journal?: boolean;
  /** One component, as the seed's 001_DeployTables … 004_DeployTriggers: `tables`, `functions`, `procedures` or `triggers`. */
  component?: string;
  /** One migration with its journal row: a file name or path, a description, or a version (`14`, `V014`). */
  migration?: string;
}

/**
 * A deployment script. By default the complete deployment, in order, for
 * `psql -1 -v ON_ERROR_STOP=1 -f`; with `component` one of the seed's four
 * components, and with `migration` one migration, both for
 * `psql -v ON_ERROR_STOP=1 -f` (each migration commits with its journal row;
 * what the journal already has is skipped). Every script leaves a database
 * that `status` and `migrate` recognise.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises'
 * import { sql } from 'ecliptix-persistor'
 *
 * await writeFile('deploy.sql', await sql())
 * await writeFile('001_DeployTables.sql', await sql({ component: 'tables' }))
 * await writeFile('V014.sql', await sql({ migration: 'V014' }))
 * ```
 */
export async function sql(options: SqlCommandOptions = {}): Promise<string> {
  const config = resolveConfig({ migrationsDir: options.migrationsDir });
  const migrationsDir = config.migrationsDir ?? shippedMigrationsDir;
  if (options.component !== undefined && options.migration !== undefined) {
    throw new PersistorError('INVALID_ARGUMENT', 'give --component or --migration, not both');
  }
  if (options.journal === false && (options.component !== undefined || options.migration !== undefined)) {
    throw new PersistorError(
      'INVALID_ARGUMENT',
      '--no-journal is for the whole deployment only: a component or migration script writes its journal rows, which is how it skips what is applied',
    );
  }
  if (options.component !== undefined) {
    if (!(COMPONENTS as readonly string[]).includes(options.component)) {
      throw new PersistorError(
        'INVALID_ARGUMENT',
        `unknown component ${JSON.stringify(options.component)}: one of ${COMPONENTS.join(', ')}`,
      );
    }
    return (await componentScript(migrationsDir, options.component as Component)).script;
  }
  if (options.migration !== undefined) return (await migrationScript(migrationsDir, options.migration)).script;
  return (await deploymentScript(migrationsDir, { journal: options.journal !== false })).script;
}
