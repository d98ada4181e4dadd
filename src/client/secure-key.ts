/**
 * The membership's secure key at rest: AES-256-GCM under the data key.
 * Layout: version (1 byte) | key id length (1) | key id | IV (12) | tag (16) | ciphertext.
 * The membership id is the associated data, so a ciphertext moved to another
 * membership fails authentication.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyError } from './errors.js';
import { keyFor, type Keyring } from './keyring.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts a membership's secure key under the current data key, bound to the membership id.
 *
 * @example
 * ```ts
 * const stored = encryptSecureKey(secrets.dataKeys, membershipId, new Uint8Array([1, 2, 3]))
 * ```
 */
export function encryptSecureKey(keyring: Keyring, membershipId: string, plaintext: Uint8Array): Buffer {
  const keyId = Buffer.from(keyring.currentId, 'utf8');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFor(keyring, keyring.currentId, 'the secure key'), iv);
  cipher.setAAD(Buffer.from(membershipId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION, keyId.length]), keyId, iv, cipher.getAuthTag(), ciphertext]);
}

/**
 * Decrypts a stored secure key with the key its header names; a `KeyError` when
 * it was tampered with, moved to another membership or its key is unknown.
 *
 * @example
 * ```ts
 * const plaintext = decryptSecureKey(secrets.dataKeys, membershipId, stored) // Buffer [1, 2, 3]
 * ```
 */
export function decryptSecureKey(keyring: Keyring, membershipId: string, stored: Uint8Array): Buffer {
  const data = Buffer.from(stored);
  if (data.length < 2 || data[0] !== VERSION) throw new KeyError('the stored secure key is not in the expected encrypted format');
  const idLength = data[1]!;
  const headerLength = 2 + idLength + IV_BYTES + TAG_BYTES;
  if (data.length < headerLength) throw new KeyError('the stored secure key is truncated');
  const keyId = data.subarray(2, 2 + idLength).toString('utf8');
  const iv = data.subarray(2 + idLength, 2 + idLength + IV_BYTES);
  const tag = data.subarray(2 + idLength + IV_BYTES, headerLength);
  const decipher = createDecipheriv('aes-256-gcm', keyFor(keyring, keyId, 'the secure key'), iv);
  decipher.setAAD(Buffer.from(membershipId, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data.subarray(headerLength)), decipher.final()]);
  } catch {
    throw new KeyError('the stored secure key failed authentication: it was tampered with or encrypted under another key');
  }
}
