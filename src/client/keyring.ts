/**
 * Keyrings for the OTP key (HMAC) and the data key (AES-256-GCM): each key has
 * an id stored next to what it protects, so keys can be rotated — new writes
 * use the current key, reads find the key by id.
 *
 * Text form (environment): "id1:base64key1,id2:base64key2" — the first is current.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KeyError } from './errors.js';

/**
 * Keys by id; `currentId` protects new writes, the others are for reading.
 *
 * @example
 * ```ts
 * const keyring: Keyring = generateKeyring('k2')
 * console.log(keyring.currentId, keyring.keys.size) // 'k2', 1
 * ```
 */
export interface Keyring {
  currentId: string;
  keys: ReadonlyMap<string, Buffer>;
}

const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Parses "id1:base64key1,id2:base64key2" (32-byte keys); the first is current.
 * `name` is used in error messages (`KeyError`).
 *
 * @example
 * ```ts
 * const keyring = keyringFromText('ECLIPTIX_OTP_KEYS', process.env.ECLIPTIX_OTP_KEYS!)
 * console.log(keyring.currentId)
 * ```
 */
export function keyringFromText(name: string, text: string): Keyring {
  const keys = new Map<string, Buffer>();
  let currentId: string | undefined;
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const separator = part.indexOf(':');
    if (separator < 1) throw new KeyError(`${name}: expected id:base64key entries separated by commas`);
    const id = part.slice(0, separator);
    const key = Buffer.from(part.slice(separator + 1), 'base64');
    if (!KEY_ID.test(id)) throw new KeyError(`${name}: key id "${id}" must be 1-32 letters, digits, _ . -`);
    if (key.length !== KEY_BYTES) throw new KeyError(`${name}: key ${id} must be ${KEY_BYTES} bytes of base64 (got ${key.length} bytes)`);
    if (keys.has(id)) throw new KeyError(`${name}: key id ${id} appears twice`);
    keys.set(id, key);
    currentId ??= id;
  }
  if (!currentId) throw new KeyError(`${name}: no key given`);
  return { currentId, keys };
}

/**
 * The text form of a keyring, current key first (the inverse of `keyringFromText`).
 *
 * @example
 * ```ts
 * const rotated = { ...keyring, currentId: 'k2' }
 * process.stdout.write(keyringToText(rotated)) // k2:…,k1:…
 * ```
 */
export function keyringToText(keyring: Keyring): string {
  const ordered = [keyring.currentId, ...[...keyring.keys.keys()].filter((id) => id !== keyring.currentId)];
  return ordered.map((id) => `${id}:${keyring.keys.get(id)!.toString('base64')}`).join(',');
}

/**
 * The key with id `id`; a `KeyError` naming `purpose` when the keyring lacks it.
 *
 * @example
 * ```ts
 * const key = keyFor(secrets.dataKeys, 'k1', 'the secure key') // a 32-byte Buffer
 * ```
 */
export function keyFor(keyring: Keyring, id: string, purpose: string): Buffer {
  const key = keyring.keys.get(id);
  if (!key) throw new KeyError(`${purpose} was protected with key id "${id}", which is not in the configured keyring`);
  return key;
}

/**
 * A keyring of one fresh random key (development and tests).
 *
 * @example
 * ```ts
 * const secrets: Secrets = { otpKeys: generateKeyring(), dataKeys: generateKeyring() }
 * ```
 */
export function generateKeyring(id = 'dev1'): Keyring {
  return { currentId: id, keys: new Map([[id, randomBytes(KEY_BYTES)]]) };
}

/**
 * The two keyrings a client needs: OTP keys (HMAC) and data keys (AES-256-GCM).
 *
 * @example
 * ```ts
 * const secrets: Secrets = loadSecrets({})
 * const client = createMembershipsClient({ db, secrets })
 * ```
 */
export interface Secrets {
  otpKeys: Keyring;
  dataKeys: Keyring;
}

const OTP_KEYS_ENV = 'ECLIPTIX_OTP_KEYS';
/**
 * The environment variable that holds the data keys.
 *
 * @example
 * ```ts
 * const text = process.env[DATA_KEYS_ENV] // 'k1:base64…,k0:base64…'
 * ```
 */
export const DATA_KEYS_ENV = 'ECLIPTIX_DATA_KEYS';

/**
 * Secrets from exactly one place: both environment variables, or — for the
 * embedded database only, when neither is set — development keys generated
 * once and kept in `devSecretsFile`. Never a mix: one variable set without the
 * other is a KeyError naming the missing one. `onDevelopmentKeys` is told when
 * development keys are used.
 *
 * @example
 * ```ts
 * const secrets = loadSecrets({
 *   devSecretsFile: '/var/lib/ecliptix/dev-secrets.json',
 *   onDevelopmentKeys: (file) => console.warn(`development keys from ${file}`),
 * })
 * ```
 */
export function loadSecrets(options: {
  env?: NodeJS.ProcessEnv;
  devSecretsFile?: string;
  onDevelopmentKeys?: (file: string) => void;
}): Secrets {
  const env = options.env ?? process.env;
  const otp = env[OTP_KEYS_ENV];
  const data = env[DATA_KEYS_ENV];
  if (otp && data) return { otpKeys: keyringFromText(OTP_KEYS_ENV, otp), dataKeys: keyringFromText(DATA_KEYS_ENV, data) };
  if (otp || data) {
    const [given, missing] = otp ? [OTP_KEYS_ENV, DATA_KEYS_ENV] : [DATA_KEYS_ENV, OTP_KEYS_ENV];
    throw new KeyError(
      `${given} is set but ${missing} is not: set ${missing} too (id:base64 of ${KEY_BYTES} random bytes) — keys come from the environment or from the development secrets file, never from both`,
    );
  }
  if (!options.devSecretsFile) {
    throw new KeyError(
      `set ${OTP_KEYS_ENV} and ${DATA_KEYS_ENV} (id:base64 of ${KEY_BYTES} random bytes, e.g. "k1:$(openssl rand -base64 32)")`,
    );
  }
  const secrets = loadDevSecrets(options.devSecretsFile);
  options.onDevelopmentKeys?.(options.devSecretsFile);
  return secrets;
}

/** Group and others may neither read nor write a secrets file. */
const SHARED_BITS = 0o066;

/**
 * The development keys in `file`, created first when missing. Every load
 * checks the file's mode. Creation is atomic: the keys are written to a 0600
 * temporary file in the same directory, which is then linked to the final
 * name — a process that finds the name taken (EEXIST) lost a race with another
 * first start and reads the winner's keys, so both use the same keys and
 * nobody ever reads a half-written file.
 */
function loadDevSecrets(file: string): Secrets {
  let text = readPrivateFile(file);
  if (text === undefined) {
    createDevSecrets(file);
    text = readPrivateFile(file);
    if (text === undefined) throw new KeyError(`${file} disappeared while it was being created`);
  }
  let stored: { otpKeys?: unknown; dataKeys?: unknown };
  try {
    stored = JSON.parse(text) as typeof stored;
  } catch (error) {
    throw new KeyError(`${file} is not valid JSON (${(error as Error).message}); delete it to generate new development keys`);
  }
  if (typeof stored?.otpKeys !== 'string' || typeof stored.dataKeys !== 'string') {
    throw new KeyError(
      `${file} must hold {"otpKeys": "id:base64,…", "dataKeys": "id:base64,…"}; delete it to generate new development keys`,
    );
  }
  return { otpKeys: keyringFromText(`${file} otpKeys`, stored.otpKeys), dataKeys: keyringFromText(`${file} dataKeys`, stored.dataKeys) };
}

/** The file's text, after checking (on the open file) that only its owner may read or write it; undefined when it does not exist. */
function readPrivateFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyError(`cannot read the development secrets file ${file}: ${(error as Error).message}`);
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if (mode & SHARED_BITS) {
      throw new KeyError(
        `${file} holds secret keys but its mode is ${mode.toString(8).padStart(4, '0')}: group or others can read or write it — run \`chmod 600 ${file}\` (and replace the keys if others may have read them)`,
      );
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function createDevSecrets(file: string): void {
  const directory = dirname(file);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const fresh = { otpKeys: keyringToText(generateKeyring()), dataKeys: keyringToText(generateKeyring()) };
  const temporary = join(directory, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      fchmodSync(fd, 0o600); // exactly 0600, whatever the umask
      writeFileSync(fd, `${JSON.stringify(fresh, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temporary, file);
    } catch (error) {
      // EEXIST: another process created the file first — its keys are the ones to use.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  } catch (error) {
    throw new KeyError(`cannot create the development secrets file ${file}: ${(error as Error).message}`);
  } finally {
    rmSync(temporary, { force: true });
  }
}
