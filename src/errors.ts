/**
 * Errors are values with a stable code, a message for people, and the exit
 * code the CLI maps them to (the seed's documented exit codes).
 */
export const ExitCode = {
  success: 0,
  general: 1,
  invalidArguments: 2,
  connection: 3,
  migration: 4,
  validation: 5,
} as const;
/** The CLI's exit codes, as documented in the seed. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What went wrong, as a stable code an application can switch on; each maps to one exit code. */
export type ErrorCode =
  | 'INVALID_CONFIG'
  | 'INVALID_ARGUMENT'
  | 'CONNECTION_FAILED'
  | 'DATABASE_IN_USE'
  | 'LOCK_TIMEOUT'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_FILES_INVALID'
  | 'VALIDATION_FAILED'
  | 'TOOL_MISSING'
  | 'BACKUP_FAILED'
  | 'RESTORE_FAILED'
  | 'OPERATION_FAILED';

const exitCodeFor: Record<ErrorCode, ExitCode> = {
  INVALID_CONFIG: ExitCode.invalidArguments,
  INVALID_ARGUMENT: ExitCode.invalidArguments,
  CONNECTION_FAILED: ExitCode.connection,
  DATABASE_IN_USE: ExitCode.connection,
  LOCK_TIMEOUT: ExitCode.general,
  MIGRATION_FAILED: ExitCode.migration,
  MIGRATION_FILES_INVALID: ExitCode.validation,
  VALIDATION_FAILED: ExitCode.validation,
  TOOL_MISSING: ExitCode.general,
  BACKUP_FAILED: ExitCode.general,
  RESTORE_FAILED: ExitCode.general,
  OPERATION_FAILED: ExitCode.general,
};

/**
 * The error every operation throws for a known problem: a stable `code`, a message for people, and the `exitCode` the CLI exits with.
 *
 * @example
 * try {
 *   await migrate({ databaseUrl });
 * } catch (error) {
 *   if (isPersistorError(error) && error.code === 'LOCK_TIMEOUT') retryLater();
 *   else throw error;
 * }
 */
export class PersistorError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  /** Extra lines shown under the message (e.g. every checksum mismatch). */
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options: { details?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PersistorError';
    this.code = code;
    this.exitCode = exitCodeFor[code];
    this.details = options.details ?? [];
  }
}

/**
 * Whether a thrown value is a PersistorError — also one thrown by another copy
 * of the package (two versions in one node_modules), which `instanceof` misses.
 *
 * @example
 * ```ts
 * try {
 *   await migrate()
 * } catch (error) {
 *   if (isPersistorError(error)) process.exit(error.exitCode)
 *   throw error
 * }
 * ```
 */
export function isPersistorError(error: unknown): error is PersistorError {
  if (error instanceof PersistorError) return true;
  if (!(error instanceof Error) || error.name !== 'PersistorError') return false;
  const { code, exitCode } = error as Partial<PersistorError>;
  return typeof code === 'string' && Object.hasOwn(exitCodeFor, code) && exitCode === exitCodeFor[code];
}

/** The message of anything thrown, without a stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
