/**
 * The data keyring a command encrypts secure keys under (`rotate-keys`,
 * `import`): given, from ECLIPTIX_DATA_KEYS, or — for an embedded database
 * the command opens itself — its development keys, as the client reads them.
 */
import { existsSync } from 'node:fs';
import { KeyError } from '../client/errors.js';
import { DATA_KEYS_ENV, keyringFromText, loadSecrets, type Keyring } from '../client/keyring.js';
import { devSecretsFileFor } from '../client/open.js';
import { PersistorError } from '../errors.js';

/** Where a command's data keyring comes from. */
export interface DataKeysOptions {
  /** The data keyring, current key first (a Keyring, or its text "id:base64,…"). */
  dataKeys?: Keyring | string;
  /** Where ECLIPTIX_DATA_KEYS is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Told when the embedded database's development keys are used. */
  onDevelopmentKeys?: (file: string) => void;
}

/**
 * Where development keys may come from: `read` an existing development
 * secrets file of the embedded database's data directory, `create` it when
 * missing (as the client does on its first start), or `none` (a server, or a
 * database the caller opened: which keys its clients use is not known here).
 */
export type DevelopmentKeys = 'read' | 'create' | 'none';

/** Keys, with a KeyError (a malformed keyring or secrets file) as a configuration error (exit 2). */
function keys(load: () => Keyring): Keyring {
  try {
    return load();
  } catch (error) {
    if (error instanceof KeyError) throw new PersistorError('INVALID_CONFIG', error.message, { cause: error });
    throw error;
  }
}

/**
 * The data keyring: `dataKeys` when given, else ECLIPTIX_DATA_KEYS, else —
 * as `development.keys` allows — the embedded database's development keys.
 * None of them is an INVALID_CONFIG error (exit 2) saying what to set.
 *
 * @example
 * ```ts
 * const keyring = resolveDataKeys({ env: process.env }, { keys: 'read', dataDir: config.dataDir })
 * ```
 */
export function resolveDataKeys(
  options: DataKeysOptions,
  development: { keys: DevelopmentKeys; dataDir: string; missing?: string },
): Keyring {
  const given = options.dataKeys;
  if (given !== undefined) return typeof given === 'string' ? keys(() => keyringFromText('dataKeys', given)) : given;
  const text = (options.env ?? process.env)[DATA_KEYS_ENV];
  if (text) return keys(() => keyringFromText(DATA_KEYS_ENV, text));
  const file = devSecretsFileFor(development.dataDir);
  if (development.keys === 'create' || (development.keys === 'read' && existsSync(file))) {
    // The client's own loader (its checks of the file), told that no key is in the environment: with `create`, it makes the file
    // when missing, so the client later reads what was encrypted now.
    return keys(
      () =>
        loadSecrets({
          env: {},
          devSecretsFile: file,
          ...(options.onDevelopmentKeys ? { onDevelopmentKeys: options.onDevelopmentKeys } : {}),
        }).dataKeys,
    );
  }
  throw new PersistorError(
    'INVALID_CONFIG',
    development.missing ??
      `set ${DATA_KEYS_ENV} to the data keyring, the new key first and every older key after it ("new-id:base64,old-id:base64") — the same value the application uses`,
  );
}
