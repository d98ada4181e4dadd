/** Shared by the batched commands (cleanup, rotate-keys): whole-number flags and a progress line. */
import { PersistorError } from '../errors.js';

export function parseWhole(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new PersistorError('INVALID_ARGUMENT', `${flag} must be a whole number (got "${value}")`);
  return Number(value.trim());
}

export interface BatchProgress {
  done: number;
  total: number;
  elapsedMs: number;
}

/** One line on stderr, rewritten in place (only on a terminal): `<what> <done>/<total> (<percent>%) <rate> rows/s`. */
export function progressPrinter<P extends BatchProgress>(what: (p: P) => string): { update: (p: P) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, done: () => undefined };
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
