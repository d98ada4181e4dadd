/**
 * Keyrings for the OTP key (HMAC) and the data key (AES-256-GCM): each key has
 * an id stored next to what it protects, so keys can be rotated — new writes
 * use the current key, reads find the key by id.
 *
 * Text form (environment): "id1:base64key1,id2:base64key2" — the first is current.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyError } from './errors.js';

export interface Keyring {
  currentId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

export function keyringFromText(name: string, text: string): Keyring {
  const keys = new Map<string, Buffer>();
  let currentId: string | undefined;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
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

export function keyringToText(keyring: Keyring): string {
  const ordered = [keyring.currentId, ...[...keyring.keys.keys()].filter((id) => id !== keyring.currentId)];
  return ordered.map((id) => `${id}:${keyring.keys.get(id)!.toString('base64')}`).join(',');
}

export function keyFor(keyring: Keyring, id: string, purpose: string): Buffer {
  const key = keyring.keys.get(id);
  if (!key) throw new KeyError(`${purpose} was protected with key id "${id}", which is not in the configured keyring`);
  return key;
}

export function generateKeyring(id = 'dev1'): Keyring {
  return { currentId: id, keys: new Map([[id, randomBytes(KEY_BYTES)]]) };
}

export interface Secrets {
  otpKeys: Keyring;
  dataKeys: Keyring;
}

export const OTP_KEYS_ENV = 'ECLIPTIX_OTP_KEYS';
export const DATA_KEYS_ENV = 'ECLIPTIX_DATA_KEYS';

/**
 * Secrets from the environment; for the embedded database only, development
 * keys generated once and kept (mode 0600) in `devSecretsFile` when the
 * environment has none. `onDevelopmentKeys` is told when that happens.
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
  if (!options.devSecretsFile) {
    throw new KeyError(`set ${OTP_KEYS_ENV} and ${DATA_KEYS_ENV} (id:base64 of ${KEY_BYTES} random bytes, e.g. "k1:$(openssl rand -base64 32)")`);
  }
  const file = options.devSecretsFile;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const fresh = { otpKeys: keyringToText(generateKeyring()), dataKeys: keyringToText(generateKeyring()) };
    writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { otpKeys: string; dataKeys: string };
  options.onDevelopmentKeys?.(file);
  return {
    otpKeys: otp ? keyringFromText(OTP_KEYS_ENV, otp) : keyringFromText(`${file} otpKeys`, stored.otpKeys),
    dataKeys: data ? keyringFromText(DATA_KEYS_ENV, data) : keyringFromText(`${file} dataKeys`, stored.dataKeys),
  };
}
