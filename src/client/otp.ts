/**
 * One-time passwords (NIST SP 800-63B, OWASP ASVS 6.5/6.6): 6 digits from a
 * CSPRNG, stored only as HMAC-SHA-256 under a server key that never enters the
 * database, bound to the flow, compared in constant time.
 *
 * Two forms of stored hash. The current one, `<key id>$v2$<base64>`, binds
 * the code to the flow identifier's last 112 bits (the first 16 are the
 * partition's on a cluster) and needs no salt, so the application can compute
 * it from the flow and the code alone: before the flow exists, for a proposed
 * identifier (startVerification), and without reading the stored hash first
 * (checkCode). The key is what makes the hash unguessable; the per-code
 * random salt of the older form, `<key id>$<base64>`, added nothing against
 * someone without the key. Codes stored in the older form are still checked.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { keyFor, type Keyring } from './keyring.js';

const OTP_DIGITS = 6;

/**
 * A fresh 6-digit code from a CSPRNG, leading zeros kept.
 *
 * @example
 * ```ts
 * const code = generateOtpCode() // e.g. '042917'
 * ```
 */
export function generateOtpCode(): string {
  return randomInt(0, 10 ** OTP_DIGITS)
    .toString()
    .padStart(OTP_DIGITS, '0');
}

/**
 * What the database keeps of a code: its keyed hash and salt, never the code.
 *
 * @example
 * ```ts
 * const stored: StoredOtp = hashOtp(secrets.otpKeys, flowId, '042917')
 * // { hash: 'k1$…', salt: '…' }
 * ```
 */
export interface StoredOtp {
  /** "<key id>$<base64 HMAC>" — what the database keeps instead of the code. */
  hash: string;
  /** base64 of 16 random bytes. */
  salt: string;
}

function mac(key: Buffer, salt: Buffer, flowId: string, code: string): Buffer {
  return createHmac('sha256', key).update(salt).update(flowId).update('\u0000').update(code).digest();
}

const V2 = 'v2';
/** check_code takes at most this many hashes (one per key id). */
export const MAX_CODE_HASHES = 16;
const V2_DOMAIN = 'ecliptix-otp-v2\u0000';

/** The last 14 bytes of a flow identifier: what a v2 hash binds. */
function flowTail(flowId: string): Buffer {
  const bytes = Buffer.from(flowId.replace(/-/g, ''), 'hex');
  if (bytes.length !== 16) throw new TypeError(`not a uuid: ${JSON.stringify(flowId)}`);
  return bytes.subarray(2);
}

function macV2(key: Buffer, flowId: string, code: string): Buffer {
  return createHmac('sha256', key).update(V2_DOMAIN).update(flowTail(flowId)).update('\u0000').update(code).digest();
}

function v2Hash(keyring: Keyring, keyId: string, flowId: string, code: string): string {
  return `${keyId}$${V2}$${macV2(keyFor(keyring, keyId, 'the OTP'), flowId, code).toString('base64')}`;
}

/**
 * Hashes a code for a flow under the current OTP key (the v2 form). `flowId`
 * may be a proposed identifier: only its last 112 bits are bound. The salt
 * stored beside it is those bits, base64 (the column is required; the hash
 * does not use it).
 *
 * @example
 * ```ts
 * const stored = hashOtp(secrets.otpKeys, flowId, generateOtpCode())
 * // { hash: 'k1$v2$…', salt: '…' }
 * ```
 */
export function hashOtp(keyring: Keyring, flowId: string, code: string): StoredOtp {
  return { hash: v2Hash(keyring, keyring.currentId, flowId, code), salt: flowTail(flowId).toString('base64') };
}

/**
 * The code's v2 hash under every key of the keyring, one per key id: what
 * checkCode sends, so the database compares the one under the stored hash's
 * key id (a rotated-out key still checks the codes it hashed).
 *
 * @example
 * ```ts
 * const candidates = codeHashes(secrets.otpKeys, flowId, '042917') // ['k2$v2$…', 'k1$v2$…']
 * ```
 */
export function codeHashes(keyring: Keyring, flowId: string, code: string): string[] {
  const ids = [keyring.currentId, ...[...keyring.keys.keys()].filter((id) => id !== keyring.currentId)];
  return ids.slice(0, MAX_CODE_HASHES).map((id) => v2Hash(keyring, id, flowId, code));
}

/**
 * Whether `code` is the code behind `stored`, for this flow, compared in constant time.
 *
 * @example
 * ```ts
 * if (otpMatches(secrets.otpKeys, flowId, '042917', stored)) console.log('right code')
 * ```
 */
export function otpMatches(keyring: Keyring, flowId: string, code: string, stored: StoredOtp): boolean {
  const [keyId = '', second = '', third] = stored.hash.split('$');
  const key = keyFor(keyring, keyId, 'the OTP');
  const v2 = second === V2 && third !== undefined;
  const expected = Buffer.from(v2 ? third : second, 'base64');
  const actual = v2 ? macV2(key, flowId, code) : mac(key, Buffer.from(stored.salt, 'base64'), flowId, code);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
