/**
 * One-time passwords (NIST SP 800-63B, OWASP ASVS 6.5/6.6): 6 digits from a
 * CSPRNG, stored only as HMAC-SHA-256 under a server key that never enters the
 * database, salted and bound to the flow, compared in constant time.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
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

/**
 * Hashes a code for a flow under the current OTP key, with a fresh salt.
 *
 * @example
 * ```ts
 * const stored = hashOtp(secrets.otpKeys, flowId, generateOtpCode())
 * ```
 */
export function hashOtp(keyring: Keyring, flowId: string, code: string): StoredOtp {
  const salt = randomBytes(16);
  const key = keyFor(keyring, keyring.currentId, 'the OTP');
  return { hash: `${keyring.currentId}$${mac(key, salt, flowId, code).toString('base64')}`, salt: salt.toString('base64') };
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
  const separator = stored.hash.indexOf('$');
  const keyId = stored.hash.slice(0, separator);
  const expected = Buffer.from(stored.hash.slice(separator + 1), 'base64');
  const actual = mac(keyFor(keyring, keyId, 'the OTP'), Buffer.from(stored.salt, 'base64'), flowId, code);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
