/**
 * Bad input to a client method, thrown before any query: the parameter and
 * what is wrong. Business refusals are outcomes, not errors.
 *
 * @example
 * ```ts
 * try {
 *   await client.login('not a number')
 * } catch (error) {
 *   if (error instanceof InvalidInputError) console.log(error.field) // 'phoneNumber'
 * }
 * ```
 */
export class InvalidInputError extends Error {
  constructor(
    /** The parameter that was refused. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InvalidInputError';
  }
}

/**
 * A key is missing, malformed, unknown, or a ciphertext failed authentication.
 *
 * @example
 * ```ts
 * try {
 *   keyringFromText('ECLIPTIX_DATA_KEYS', 'k1:too-short')
 * } catch (error) {
 *   if (error instanceof KeyError) console.error(error.message)
 * }
 * ```
 */
export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}
