/** `sql`: the complete deployment script, in order, for a DBA to review and apply with psql. */
import { resolveConfig, type PersistorOptions } from './runtime.js';
import { deploymentScript } from '../migrator/script.js';
import { shippedMigrationsDir } from '../sql-files.js';

export async function sql(options: Pick<PersistorOptions, 'migrationsDir'> & { journal?: boolean } = {}): Promise<string> {
  const config = resolveConfig({ migrationsDir: options.migrationsDir });
  const { script } = await deploymentScript(config.migrationsDir ?? shippedMigrationsDir, { journal: options.journal !== false });
  return script;
}
