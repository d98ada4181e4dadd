/**
 * Both engines must hand back the same JavaScript values. PostgreSQL OIDs of
 * the types whose default parsing differs between `pg` and PGlite.
 */
export const INT8_OID = 20;

/** bigint columns (identity ids, count(*)) as numbers: ours stay far below 2^53. */
export function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`bigint value ${value} does not fit a JavaScript number`);
  return parsed;
}
