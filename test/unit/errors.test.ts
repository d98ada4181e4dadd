import { describe, expect, it } from 'vitest';
import { ExitCode, PersistorError, isPersistorError } from '../../src/errors.js';

describe('isPersistorError', () => {
  it("recognises its own errors and another copy's (same name, a known code and its exit code), nothing else", () => {
    expect(isPersistorError(new PersistorError('LOCK_TIMEOUT', 'x'))).toBe(true);
    const fromOtherCopy = Object.assign(new Error('x'), { name: 'PersistorError', code: 'LOCK_TIMEOUT', exitCode: ExitCode.general });
    expect(isPersistorError(fromOtherCopy)).toBe(true);
    expect(isPersistorError(Object.assign(new Error('x'), { name: 'PersistorError', code: 'LOCK_TIMEOUT', exitCode: 4 }))).toBe(false);
    expect(isPersistorError(Object.assign(new Error('x'), { name: 'PersistorError', code: 'toString', exitCode: 1 }))).toBe(false);
    expect(isPersistorError(Object.assign(new Error('x'), { code: 'LOCK_TIMEOUT', exitCode: 1 }))).toBe(false);
    expect(isPersistorError({ name: 'PersistorError', code: 'LOCK_TIMEOUT', exitCode: 1 })).toBe(false);
    expect(isPersistorError(undefined)).toBe(false);
  });
});
