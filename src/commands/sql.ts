/** `sql`: the complete deployment script, in order, for a DBA to review and apply with psql. */
import { resolveConfig, type PersistorOptions } from './runtime.js';
import { deploymentScript } from '../migrator/script.js';
import { shippedMigrationsDir } from '../sql-files.js';

/**
 * The complete deployment script, in order, for a DBA to review and apply with
 * `psql -1 -v ON_ERROR_STOP=1 -f`; with `journal` (the default) it also
 * writes the journal rows, so that `status` and `migrate` recognise it.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises'
 * import { sql } from 'ecliptix-persistor'
 *
 * await writeFile('deploy.sql', await sql())
 * ```
 */
export async function sql(options: Pick<PersistorOptions, 'migrationsDir'> & { journal?: boolean } = {}): Promise<string> {
  const config = resolveConfig({ migrationsDir: options.migrationsDir });
  const { script } = await deploymentScript(config.migrationsDir ?? shippedMigrationsDir, { journal: options.journal !== false });
  return script;
}
