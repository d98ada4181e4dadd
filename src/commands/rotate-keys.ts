/**
 * `rotate-keys`: re-encrypts every membership's secure key that is not under
 * the current data key, in short batches safe under live traffic, then reports
 * how many rows use each key id, so an old key can be removed when none does.
 * `--dry-run` only counts.
 */
import type { Keyring } from '../client/keyring.js';
import { resolveDataKeys } from './data-keys.js';
import { runRotateKeys, validateRotateKeysOptions, type RotateKeysOptions, type RotateKeysReport } from '../operations/rotate-keys.js';
import { resolveConfig, withRuntime, type PersistorOptions } from './runtime.js';

/** The rotation's report: rows per key id, what was re-encrypted, and which old keys no row uses. */
export type { RotateKeysReport, KeyUsage } from '../operations/rotate-keys.js';

/** Options of {@link rotateKeys}: the database, the data keyring, the batch size, `dryRun`, an AbortSignal and progress. */
export interface RotateKeysCommandOptions extends PersistorOptions, Omit<RotateKeysOptions, 'dataKeys' | 'lockTimeoutMs'> {
  /**
   * The data keyring, current key first ("id:base64,older-id:base64" or a
   * Keyring). Default: ECLIPTIX_DATA_KEYS; for the embedded database without
   * it, the development keys kept beside its data directory.
   */
  dataKeys?: Keyring | string;
  /** Where ECLIPTIX_DATA_KEYS is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Told when the embedded database's development keys are used. */
  onDevelopmentKeys?: (file: string) => void;
}

/**
 * Re-encrypts every membership's secure key that is not under the current
 * data key (the keyring's first) to it, in short batches safe under live
 * traffic, and reports how many rows use each key id — an old key may be
 * removed once none does. With `dryRun`, only counts.
 *
 * @example
 * ```ts
 * import { rotateKeys } from 'ecliptix-persistor'
 *
 * const report = await rotateKeys({ databaseUrl: process.env.DATABASE_URL, dataKeys: process.env.ECLIPTIX_DATA_KEYS })
 * console.log(`safe to remove: ${report.removableKeyIds.join(', ')}`)
 * ```
 */
export async function rotateKeys(options: RotateKeysCommandOptions = {}): Promise<RotateKeysReport> {
  const { batchSize, dryRun, signal, onProgress, dataKeys, env, onDevelopmentKeys, ...rest } = options;
  const rotateOptions = {
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(dryRun === undefined ? {} : { dryRun }),
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
  validateRotateKeysOptions(rotateOptions); // bad numbers and keys fail before anything is opened
  const config = resolveConfig(rest);
  const embedded = rest.db ? rest.db.engine === 'pglite' : !config.databaseUrl;
  const dataKeyring = resolveDataKeys(
    { ...(dataKeys === undefined ? {} : { dataKeys }), ...(env ? { env } : {}), ...(onDevelopmentKeys ? { onDevelopmentKeys } : {}) },
    { keys: embedded ? 'read' : 'none', dataDir: config.dataDir },
  );
  return withRuntime(rest, ({ db }) => runRotateKeys(db, { ...rotateOptions, dataKeys: dataKeyring }), { mustExist: true });
}
