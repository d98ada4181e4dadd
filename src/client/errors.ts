/** Errors the memberships client throws. Business refusals are outcomes, not errors. */
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

/** A key is missing, malformed, unknown, or a ciphertext failed authentication. */
export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}
