/**
 * One-time passwords (NIST SP 800-63B, OWASP ASVS 6.5/6.6): 6 digits from a
 * CSPRNG, stored only as HMAC-SHA-256 under a server key that never enters the
 * database, salted and bound to the flow, compared in constant time.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { keyFor, type Keyring } from './keyring.js';

const OTP_DIGITS = 6;

export function generateOtpCode(): string {
  return randomInt(0, 10 ** OTP_DIGITS)
    .toString()
    .padStart(OTP_DIGITS, '0');
}

export interface StoredOtp {
  /** "<key id>$<base64 HMAC>" — what the database keeps instead of the code. */
  hash: string;
  /** base64 of 16 random bytes. */
  salt: string;
}

function mac(key: Buffer, salt: Buffer, flowId: string, code: string): Buffer {
  return createHmac('sha256', key).update(salt).update(flowId).update('\u0000').update(code).digest();
}

export function hashOtp(keyring: Keyring, flowId: string, code: string): StoredOtp {
  const salt = randomBytes(16);
  const key = keyFor(keyring, keyring.currentId, 'the OTP');
  return { hash: `${keyring.currentId}$${mac(key, salt, flowId, code).toString('base64')}`, salt: salt.toString('base64') };
}

export function otpMatches(keyring: Keyring, flowId: string, code: string, stored: StoredOtp): boolean {
  const separator = stored.hash.indexOf('$');
  const keyId = stored.hash.slice(0, separator);
  const expected = Buffer.from(stored.hash.slice(separator + 1), 'base64');
  const actual = mac(keyFor(keyring, keyId, 'the OTP'), Buffer.from(stored.salt, 'base64'), flowId, code);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
