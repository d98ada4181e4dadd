/** Shared by the CLI's batched commands (cleanup, rotate-keys): whole-number flags and a progress line on stderr. */
import { PersistorError } from '../errors.js';

/** A flag's value as a whole number (undefined when the flag is absent); anything else is an invalid argument (exit 2). */
export function parseWhole(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new PersistorError('INVALID_ARGUMENT', `${flag} must be a whole number (got "${value}")`);
  return Number(value.trim());
}

interface BatchProgress {
  done: number;
  total: number;
  elapsedMs: number;
}

/** Prints nothing (for --json). */
export const noProgress = { update: (): void => undefined, done: (): void => undefined };

/** One line on stderr, rewritten in place (only on a terminal): `<what> <done>/<total> (<percent>%) <rate> rows/s`. */
export function progressPrinter<P extends BatchProgress>(what: (p: P) => string): { update: (p: P) => void; done: () => void } {
  if (!process.stderr.isTTY) return noProgress;
  let shown = false;
  return {
    update(p) {
      const percent = p.total === 0 ? 100 : Math.min(100, Math.floor((p.done / p.total) * 100));
      const rate = p.elapsedMs > 0 ? Math.round((p.done / p.elapsedMs) * 1000) : 0;
      process.stderr.write(`\r\u001b[2K${what(p)} ${p.done}/${p.total} (${percent}%) ${rate} rows/s`);
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\r\u001b[2K');
      shown = false;
    },
  };
}
