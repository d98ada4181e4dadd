/**
 * Data key rotation: re-encrypts every membership's secure key that is not
 * under the current data key to the current key, so an old key can be
 * retired. Works on ecliptix.memberships directly (as the owner / migrating
 * connection), in bounded batches: each batch one short transaction that
 * takes its rows FOR UPDATE SKIP LOCKED in id order, decrypts and re-encrypts
 * them here, and writes a row back only if it still holds the ciphertext that
 * was read. Rows live traffic holds are skipped and taken by a later pass (or
 * the next run); a run that stops keeps every finished batch, and the next run
 * simply continues, since it only selects rows under an older key.
 *
 * The report counts, from the stored headers, how many rows use each key id:
 * an old key may be removed once its count is 0. Rows under a key id the
 * keyring does not have, rows not in the encrypted layout, and rows that fail
 * to decrypt cannot be rotated; they are counted (never shown).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, Queryable, Session } from '../db/database.js';
import { PersistorError, messageOf } from '../errors.js';
import { KeyError } from '../client/errors.js';
import type { Keyring } from '../client/keyring.js';
import { decryptSecureKey, encryptSecureKey } from '../client/secure-key.js';
import { sqlFile } from '../sql-files.js';

/** The data keyring to rotate to and how to run the batches. */
export interface RotateKeysOptions {
  /** The data keyring: its current key is the target, the others are the keys rows may be under. */
  dataKeys: Keyring;
  /** Rows per batch (each batch is one transaction). */
  batchSize?: number;
  /** Only count; change nothing. */
  dryRun?: boolean;
  /** Stops the run between batches (SIGINT); the report says interrupted. */
  signal?: AbortSignal;
  /** How long one batch may wait for a table lock before the run stops. */
  lockTimeoutMs?: number;
  onProgress?: (progress: RotateKeysProgress) => void;
}

/** How far a rotation has come, reported after each batch. */
export interface RotateKeysProgress {
  /** Rows re-encrypted so far. */
  done: number;
  /** Rows under an older configured key when the run started. */
  total: number;
  batches: number;
  elapsedMs: number;
}

/** How many secure keys are under one data key. */
export interface KeyUsage {
  keyId: string;
  rows: number;
  /** The keyring's current key. */
  current: boolean;
  /** In the configured keyring (an unconfigured key's rows cannot be decrypted or rotated). */
  configured: boolean;
}

/** The outcome of a rotation: rows re-encrypted, rows per key, and rows no configured key opens. */
export interface RotateKeysReport {
  dryRun: boolean;
  interrupted: boolean;
  batchSize: number;
  currentKeyId: string;
  /** The configured key ids, current first (ids only, never keys). */
  configuredKeyIds: string[];
  /** Rows under an older configured key at the start: what the run set out to re-encrypt. */
  matched: number;
  /** Rows re-encrypted to the current key (dry run: 0). */
  rotated: number;
  batches: number;
  /** Passes over the table (a pass after the first takes rows live traffic held locked). */
  passes: number;
  /** Rows per key id at the end (dry run: now), current first, then configured, then unknown ids. */
  keys: KeyUsage[];
  /** Memberships with a secure key / without one yet. */
  rowsWithKey: number;
  rowsWithoutKey: number;
  /** Rows still under an older configured key (held locked by live traffic, undecryptable, or dry run / interrupted): run again. */
  remainingOld: number;
  /** Rows under key ids the keyring does not have: cannot be rotated. */
  unknownKeyRows: number;
  /** Rows not in the encrypted layout: cannot be rotated. */
  malformedRows: number;
  /** Rows under a configured key that failed authentication (tampered, or another key under the same id): not rotated. */
  undecryptable: { rows: number; membershipIds: string[] };
  /** Configured keys other than the current one that no row uses: safe to remove from the keyring. */
  removableKeyIds: string[];
  /** Whether every secure key is under the current key, so every other key may go. */
  allCurrent: boolean;
  durationMs: number;
}

/** Rows re-encrypted per transaction unless told otherwise. */
export const DEFAULT_ROTATE_BATCH_SIZE = 1000;
const MAX_ROTATE_BATCH_SIZE = 50_000;
const DEFAULT_BATCH_LOCK_TIMEOUT_MS = 10_000;
/** Passes over the table at most: later passes only take rows a previous pass found locked. */
const MAX_PASSES = 3;
const PASS_PAUSE_MS = 200;
/** At most this many membership ids of undecryptable rows are listed. */
const MAX_LISTED_IDS = 20;
/** A fixed key (first 8 bytes of sha256("ecliptix-persistor:rotate-keys")): one rotation at a time per database. */
export const ROTATE_KEYS_LOCK_KEY = '8146405617418500455';

interface UsageRow {
  kind: 'key' | 'none' | 'malformed';
  key_id: string | null;
  n: number;
}

interface SelectedRow {
  id: number;
  unique_id: string;
  secure_key: Uint8Array;
}

interface Usage {
  byKey: Map<string, number>;
  none: number;
  malformed: number;
}

/** INVALID_ARGUMENT unless the batch size and lock timeout are whole numbers in range. */
export function validateRotateKeysOptions(options: Partial<RotateKeysOptions>): void {
  const batch = options.batchSize;
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > MAX_ROTATE_BATCH_SIZE)) {
    throw new PersistorError('INVALID_ARGUMENT', `batch size must be a whole number between 1 and ${MAX_ROTATE_BATCH_SIZE} (got ${batch})`);
  }
}

function failure(error: unknown, what: string): PersistorError {
  if (error instanceof PersistorError) return error;
  const code = (error as { code?: string }).code;
  if (code === '3F000' || code === '42P01') {
    return new PersistorError('VALIDATION_FAILED', 'the memberships schema is not deployed here (run `ecliptix-persistor migrate` first)', {
      cause: error,
    });
  }
  if (code === '42501') {
    return new PersistorError(
      'OPERATION_FAILED',
      `${what}: the connected user may not read and update ecliptix.memberships — run rotate-keys as the owner (the user that migrates), not the application or reporting role`,
      { cause: error },
    );
  }
  return new PersistorError('OPERATION_FAILED', `${what}: ${messageOf(error)}`, { cause: error });
}

async function readUsage(db: Queryable): Promise<Usage> {
  let rows: UsageRow[];
  try {
    rows = (await db.query<UsageRow>(sqlFile('operations/rotate-keys/key-usage.sql'))).rows;
  } catch (error) {
    throw failure(error, 'cannot count the secure keys');
  }
  const usage: Usage = { byKey: new Map(), none: 0, malformed: 0 };
  for (const row of rows) {
    const n = Number(row.n);
    if (row.kind === 'key' && row.key_id !== null) usage.byKey.set(row.key_id, n);
    else if (row.kind === 'none') usage.none += n;
    else usage.malformed += n;
  }
  return usage;
}

function rowsUnder(usage: Usage, ids: readonly string[]): number {
  return ids.reduce((sum, id) => sum + (usage.byKey.get(id) ?? 0), 0);
}

interface BatchResult {
  selected: number;
  written: number;
  lastId: number;
}

/**
 * One batch in one transaction: lock up to `limit` rows after `afterId`
 * under an older configured key, re-encrypt them, write back those that still
 * hold what was read. Rows that fail to decrypt are left as they are.
 */
async function rotateBatch(
  db: Session,
  keyring: Keyring,
  olderIds: readonly string[],
  afterId: number,
  limit: number,
  lockTimeout: string,
  undecryptable: Set<string>,
): Promise<BatchResult> {
  return db.transaction(async (tx) => {
    await tx.query(sqlFile('operations/rotate-keys/batch-settings.sql'), [lockTimeout]);
    const { rows } = await tx.query<SelectedRow>(sqlFile('operations/rotate-keys/batch-select.sql'), [afterId, limit, olderIds]);
    const ids: number[] = [];
    const oldKeys: string[] = [];
    const newKeys: string[] = [];
    for (const row of rows) {
      let plaintext: Buffer;
      try {
        plaintext = decryptSecureKey(keyring, row.unique_id, row.secure_key);
      } catch (error) {
        if (!(error instanceof KeyError)) throw error;
        undecryptable.add(row.unique_id);
        continue;
      }
      const encrypted = encryptSecureKey(keyring, row.unique_id, plaintext);
      plaintext.fill(0);
      ids.push(Number(row.id));
      oldKeys.push(Buffer.from(row.secure_key).toString('hex'));
      newKeys.push(encrypted.toString('hex'));
    }
    let written = 0;
    if (ids.length > 0) {
      const result = await tx.query<{ n: number }>(sqlFile('operations/rotate-keys/batch-update.sql'), [ids, oldKeys, newKeys]);
      written = Number(result.rows[0]!.n);
    }
    return { selected: rows.length, written, lastId: rows.length > 0 ? Number(rows[rows.length - 1]!.id) : afterId };
  });
}

/**
 * Re-encrypts every stored secure key under the keyring's current data key, in batches that skip rows live traffic holds; safe to interrupt and run again.
 */
export async function runRotateKeys(db: Database, options: RotateKeysOptions): Promise<RotateKeysReport> {
  validateRotateKeysOptions(options);
  const keyring = options.dataKeys;
  const batchSize = options.batchSize ?? DEFAULT_ROTATE_BATCH_SIZE;
  const lockTimeout = `${options.lockTimeoutMs ?? DEFAULT_BATCH_LOCK_TIMEOUT_MS}ms`;
  const configuredKeyIds = [keyring.currentId, ...[...keyring.keys.keys()].filter((id) => id !== keyring.currentId)];
  const olderIds = configuredKeyIds.slice(1);
  const started = performance.now();

  return db.withSession(async (session) => {
    const before = await readUsage(session);
    const matched = rowsUnder(before, olderIds);
    let rotated = 0;
    let batches = 0;
    let passes = 0;
    let interrupted = false;
    const undecryptable = new Set<string>();
    let after = before;

    if (!options.dryRun) {
      const locked = (await session.query<{ acquired: boolean }>(sqlFile('persistor/try-advisory-lock.sql'), [ROTATE_KEYS_LOCK_KEY]))
        .rows[0]?.acquired;
      if (!locked)
        throw new PersistorError('LOCK_TIMEOUT', 'another rotate-keys is running on this database; try again when it has finished');
      try {
        let left = matched;
        while (left > 0 && passes < MAX_PASSES && !interrupted) {
          if (passes > 0) {
            // What is left was held locked by live traffic (or cannot be decrypted): give the holders a moment.
            try {
              await sleep(PASS_PAUSE_MS, undefined, options.signal ? { signal: options.signal } : {});
            } catch {
              interrupted = true;
              break;
            }
          }
          passes++;
          let afterId = 0;
          for (;;) {
            if (options.signal?.aborted) {
              interrupted = true;
              break;
            }
            const batch = await rotateBatch(session, keyring, olderIds, afterId, batchSize, lockTimeout, undecryptable);
            if (batch.selected === 0) break;
            batches++;
            rotated += batch.written;
            afterId = batch.lastId;
            options.onProgress?.({ done: rotated, total: matched, batches, elapsedMs: performance.now() - started });
            if (batch.selected < batchSize) break; // no unlocked row after this one is under an older key
          }
          after = await readUsage(session);
          left = rowsUnder(after, olderIds) - undecryptable.size;
        }
      } catch (error) {
        const code = (error as { code?: string }).code;
        const what = code === '55P03' ? `a batch waited more than ${lockTimeout} for a table lock (is a migration running?)` : undefined;
        const cause = failure(error, 'rotate-keys stopped');
        throw new PersistorError(
          cause.code,
          `${what ? `rotate-keys stopped: ${what}` : cause.message}; every finished batch is kept (${rotated} row(s) re-encrypted), the failed one was rolled back — run it again`,
          {
            cause: error,
          },
        );
      } finally {
        await session.query(sqlFile('persistor/advisory-unlock.sql'), [ROTATE_KEYS_LOCK_KEY]).catch(() => undefined);
      }
    }

    // Every configured key (current first, in keyring order), then the ids found that the keyring lacks.
    const unknownIds = [...after.byKey.keys()].filter((id) => !keyring.keys.has(id)).sort();
    const keys: KeyUsage[] = [...configuredKeyIds, ...unknownIds].map((keyId) => ({
      keyId,
      rows: after.byKey.get(keyId) ?? 0,
      current: keyId === keyring.currentId,
      configured: keyring.keys.has(keyId),
    }));

    const rowsWithKey = [...after.byKey.values()].reduce((a, b) => a + b, 0) + after.malformed;
    const unknownKeyRows = keys.filter((k) => !k.configured).reduce((sum, k) => sum + k.rows, 0);
    const currentRows = after.byKey.get(keyring.currentId) ?? 0;
    return {
      dryRun: options.dryRun === true,
      interrupted,
      batchSize,
      currentKeyId: keyring.currentId,
      configuredKeyIds,
      matched,
      rotated,
      batches,
      passes,
      keys,
      rowsWithKey,
      rowsWithoutKey: after.none,
      remainingOld: rowsUnder(after, olderIds),
      unknownKeyRows,
      malformedRows: after.malformed,
      undecryptable: { rows: undecryptable.size, membershipIds: [...undecryptable].slice(0, MAX_LISTED_IDS) },
      removableKeyIds: olderIds.filter((id) => (after.byKey.get(id) ?? 0) === 0),
      allCurrent: currentRows === rowsWithKey,
      durationMs: Number((performance.now() - started).toFixed(1)),
    };
  });
}
