/** Helpers for the fault-injection suites: a seeded PRNG and PostgreSQL error classification. */

/**
 * mulberry32: a small, seedable PRNG, so that a failing schedule of faults can
 * be replayed (the seed is printed; set FAULT_SEED to reuse it).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function faultSeed(fallback: number): number {
  const fromEnv = process.env.FAULT_SEED;
  return fromEnv && /^\d+$/.test(fromEnv) ? Number(fromEnv) : fallback;
}

/** A PostgreSQL error (server or PGlite) carries a five-character SQLSTATE. */
export function sqlstateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Errors a client may see while its connection is dropped or the server
 * restarts — each says what happened: administrator shutdown/termination
 * (57P01/57P02/57P03), "the database system is starting up / shutting down"
 * (57P03, 08xxx), a refused or reset socket, or node-postgres's own messages
 * for a connection that ended.
 */
export function isConnectionFault(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/^57P0[1-3]$/.test(code) || /^08/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return /Connection terminated|connection error|Client was closed|timeout exceeded when trying to connect|terminating connection|the database system is (starting up|shutting down|in recovery mode|not yet accepting)|Client has encountered a connection error/i.test(
    message,
  );
}
