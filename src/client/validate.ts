/** Input validation before any query: phone numbers (libphonenumber-js), UUIDs, enumerations, byte lengths. */
import { parsePhoneNumberWithError, ParseError, type CountryCode } from 'libphonenumber-js/max';
import { InvalidInputError } from './errors.js';

/**
 * A phone number as the client stores it: E.164 and the number's own region.
 *
 * @example
 * ```ts
 * const result = await client.ensurePhoneNumber({ phoneNumber: '020 7183 8750', region: 'GB' })
 * const phone: PhoneNumber = result.phone // { e164: '+442071838750', region: 'GB' }
 * ```
 */
export interface PhoneNumber {
  /** E.164, e.g. +14155550123. */
  e164: string;
  /** ISO 3166-1 alpha-2 region of the number, or `001` for a non-geographic number (+800, +881, ...). */
  region: string;
}

/** libphonenumber's region code for numbers that belong to no country. */
const NON_GEOGRAPHIC_REGION = '001';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `value` as a lower-case UUID, or an `InvalidInputError` naming `field`.
 *
 * @example
 * ```ts
 * const flowId = uuid('flowId', 'F0E1D2C3-B4A5-4968-8776-655443322110') // 'f0e1d2c3-…'
 * ```
 */
export function uuid(field: string, value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new InvalidInputError(field, 'must be a UUID');
  return value.toLowerCase();
}

/**
 * Like `uuid`, with undefined and null as null.
 *
 * @example
 * ```ts
 * const appDeviceId = optionalUuid('appDeviceId', input.appDeviceId) // string | null
 * ```
 */
export function optionalUuid(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : uuid(field, value);
}

/**
 * `value` when it is one of `allowed`, else an `InvalidInputError` listing them.
 *
 * @example
 * ```ts
 * const purpose = oneOf('purpose', 'login', FLOW_PURPOSES) // 'login', typed FlowPurpose
 * ```
 */
export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidInputError(field, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/**
 * `value` when it is a safe integer from `min` to `max`, else an `InvalidInputError`.
 *
 * @example
 * ```ts
 * const lifetime = integer('otpLifetimeSeconds', 30, 1, 3600) // 30
 * ```
 */
export function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidInputError(field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * Like `integer`, with undefined and null as null.
 *
 * @example
 * ```ts
 * const connectionId = optionalInteger('connectionId', input.connectionId, 0, Number.MAX_SAFE_INTEGER)
 * ```
 */
export function optionalInteger(field: string, value: unknown, min: number, max: number): number | null {
  return value === undefined || value === null ? null : integer(field, value, min, max);
}

/**
 * A non-blank string of at most `maxLength` characters that PostgreSQL stores
 * unchanged (no NUL, no lone surrogate), else an `InvalidInputError`.
 *
 * @example
 * ```ts
 * const outcome = text('outcome', 'invalid_passphrase', 255)
 * ```
 */
export function text(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidInputError(field, 'must be a non-empty string');
  if (value.length > maxLength) throw new InvalidInputError(field, `must be at most ${maxLength} characters`);
  // PostgreSQL text cannot hold NUL, and a lone surrogate would be stored as U+FFFD: refuse both rather than fail or alter.
  if (value.includes('\u0000')) throw new InvalidInputError(field, 'must not contain NUL characters');
  if (/\p{Surrogate}/u.test(value)) throw new InvalidInputError(field, 'must be well-formed Unicode (no lone surrogates)');
  return value;
}

/**
 * A method's argument object: anything else is refused here rather than failing later with a TypeError.
 *
 * @example
 * ```ts
 * const { phoneNumber } = input(untrusted as { phoneNumber: string }) // throws for null, 'x', 42
 * ```
 */
export function input<T>(value: T): T {
  if (typeof value !== 'object' || value === null) throw new InvalidInputError('input', 'must be an object');
  return value;
}

/**
 * `value` when it is a Uint8Array (or Buffer) of `minLength` to `maxLength` bytes.
 *
 * @example
 * ```ts
 * const secureKey = bytes('secureKey', Buffer.from('secret'), 1, 8192)
 * ```
 */
export function bytes(field: string, value: unknown, minLength: number, maxLength: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidInputError(field, 'must be bytes (Uint8Array or Buffer)');
  if (value.length < minLength || value.length > maxLength) {
    throw new InvalidInputError(field, `must be ${minLength} to ${maxLength} bytes (got ${value.length})`);
  }
  return value;
}

function region(field: string, value: unknown): CountryCode | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !/^[A-Za-z]{2}$/.test(value))
    throw new InvalidInputError(field, 'must be a two-letter ISO 3166-1 region code');
  return value.toUpperCase() as CountryCode;
}

/**
 * Parses a phone number as a person typed it (national format needs a region)
 * and normalises it to E.164 with its region. Invalid numbers are refused.
 *
 * @example
 * ```ts
 * phoneNumber('phoneNumber', '(415) 555-2671', 'US') // { e164: '+14155552671', region: 'US' }
 * phoneNumber('phoneNumber', '+800 1234 5678')        // { e164: '+80012345678', region: '001' }
 * ```
 */
export function phoneNumber(field: string, value: unknown, defaultRegion?: unknown): PhoneNumber {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidInputError(field, 'must be a non-empty phone number');
  if (value.length > 64) throw new InvalidInputError(field, 'is too long to be a phone number');
  const regionCode = region('region', defaultRegion) ?? undefined;
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(value, regionCode);
  } catch (error) {
    const reason = error instanceof ParseError ? error.message.toLowerCase().replace(/_/g, ' ') : 'unparseable';
    throw new InvalidInputError(field, `is not a phone number (${reason})`);
  }
  if (!parsed.isValid())
    throw new InvalidInputError(field, `${parsed.number} is not a valid phone number${parsed.country ? ` for ${parsed.country}` : ''}`);
  // The region is the number's own, never the caller's: a region is a
  // description, not part of the identity (one number, one set of limits).
  return { e164: parsed.number, region: parsed.country ?? NON_GEOGRAPHIC_REGION };
}
