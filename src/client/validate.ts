/** Input validation before any query: phone numbers (libphonenumber-js), UUIDs, enumerations, byte lengths. */
import { parsePhoneNumberWithError, ParseError, type CountryCode } from 'libphonenumber-js/max';
import { InvalidInputError } from './errors.js';

export interface PhoneNumber {
  /** E.164, e.g. +14155550123. */
  e164: string;
  /** ISO 3166-1 alpha-2 region of the number, or `001` for a non-geographic number (+800, +881, ...). */
  region: string;
}

/** libphonenumber's region code for numbers that belong to no country. */
const NON_GEOGRAPHIC_REGION = '001';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function uuid(field: string, value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new InvalidInputError(field, 'must be a UUID');
  return value.toLowerCase();
}

export function optionalUuid(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : uuid(field, value);
}

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidInputError(field, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidInputError(field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function optionalInteger(field: string, value: unknown, min: number, max: number): number | null {
  return value === undefined || value === null ? null : integer(field, value, min, max);
}

export function text(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidInputError(field, 'must be a non-empty string');
  if (value.length > maxLength) throw new InvalidInputError(field, `must be at most ${maxLength} characters`);
  // PostgreSQL text cannot hold NUL, and a lone surrogate would be stored as U+FFFD: refuse both rather than fail or alter.
  if (value.includes('\u0000')) throw new InvalidInputError(field, 'must not contain NUL characters');
  if (/\p{Surrogate}/u.test(value)) throw new InvalidInputError(field, 'must be well-formed Unicode (no lone surrogates)');
  return value;
}

/** A method's argument object: anything else is refused here rather than failing later with a TypeError. */
export function input<T>(value: T): T {
  if (typeof value !== 'object' || value === null) throw new InvalidInputError('input', 'must be an object');
  return value;
}

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
