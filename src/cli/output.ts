/**
 * Where the CLI writes: results to stdout, diagnostics to stderr, colour only
 * on a terminal and never when NO_COLOR is set.
 */
import { PersistorError, isPersistorError, messageOf, type ErrorCode } from '../errors.js';

/**
 * A command's failure whose report was already printed — the report is the
 * output even when it says "failed" (with --json, its one JSON document). The
 * CLI's error path ends the run as for any error: the `error:` line on stderr
 * and the exit code of `code` (OPERATION_FAILED 1, VALIDATION_FAILED 5), but
 * no second, error document on stdout.
 */
export class ReportedFailure extends PersistorError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'ReportedFailure';
  }
}

/** Where a command prints: lines or one JSON document on stdout, warnings and errors on stderr. */
export interface Output {
  readonly json: boolean;
  line(text?: string): void;
  /** One JSON document on stdout. */
  document(value: unknown): void;
  warn(text: string): void;
  error(error: unknown): void;
  readonly style: Style;
}

/** Colours for terminals (none when NO_COLOR is set or stdout is not a terminal). */
export interface Style {
  ok(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

function colourEnabled(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

function makeStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { ok: wrap(32, 39), bad: wrap(31, 39), warn: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/** The output of one CLI run. */
export function createOutput(options: { json: boolean }): Output {
  const style = makeStyle(colourEnabled(process.stdout));
  const errStyle = makeStyle(colourEnabled(process.stderr));
  return {
    json: options.json,
    style,
    line(text = '') {
      process.stdout.write(`${text}\n`);
    },
    document(value) {
      process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    warn(text) {
      process.stderr.write(`${errStyle.warn('warning:')} ${text}\n`);
    },
    error(error) {
      const details = isPersistorError(error) ? error.details : [];
      process.stderr.write(`${errStyle.bad('error:')} ${messageOf(error)}\n`);
      for (const detail of details) process.stderr.write(`  ${detail}\n`);
      if (options.json && !(error instanceof ReportedFailure)) {
        const code = isPersistorError(error) ? error.code : 'OPERATION_FAILED';
        process.stdout.write(`${JSON.stringify({ error: { code, message: messageOf(error), details } }, null, 2)}\n`);
      }
    },
  };
}
