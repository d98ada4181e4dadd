/** What an import reports: per table what happened to its rows, and what is wrong with the input. */

/** Something wrong with the input: the import writes nothing while there is one. */
export interface ImportProblem {
  /** The original's table (AppDevices, …). */
  table: string;
  /** The original's column, when one is at fault. */
  column?: string;
  /** The row's Id in the original (a staging schema's rows, and the files' once loaded). */
  row?: number;
  /** For files: the file and its line (1-based, the header included). */
  file?: string;
  line?: number;
  problem: string;
  /** How many rows have this same problem (the first few are listed one by one). */
  rows?: number;
}

/** What the import did to a row that could not be copied as it was. */
export type ImportNoteKind = 'merged' | 'expired' | 'refused' | 'changed';

/** One kind of thing done to some rows of a table, and why. */
export interface ImportNote {
  kind: ImportNoteKind;
  rows: number;
  reason: string;
}

/** Rows read, loaded and set aside for one original table. */
export interface ImportTableReport {
  /** The original's table. */
  source: string;
  /** The ecliptix table it went into. */
  table: string;
  /** Rows in the input. */
  read: number;
  /** Rows inserted into the ecliptix table (merged and expired rows included; refused ones not). */
  written: number;
  /** Rows written soft-deleted (or left on their old identity) because another row now stands for them. */
  merged: number;
  /** Pending rows written as expired. */
  expired: number;
  /** Rows not written. */
  refused: number;
  /** Each kind of change with its row count and reason (only kinds that happened). */
  notes: ImportNote[];
}

/** The outcome of an import: valid or not, per table, every problem (file, line, column, never a secret) and note. */
export interface ImportReport {
  source:
    | { kind: 'schema'; schema: string }
    | { kind: 'files'; directory: string; files: { table: string; file: string; format: 'bcp' | 'csv'; rows: number }[] };
  dryRun: boolean;
  merge: boolean;
  /** imported (committed), dry-run (ran and rolled back), invalid (problems: nothing written). */
  status: 'imported' | 'dry-run' | 'invalid';
  tables: ImportTableReport[];
  problems: ImportProblem[];
  /**
   * Every problem found, the ones not listed included: one per bad value,
   * line or file read, and one per row of each kind the checks after loading
   * found (a row with two problems counts twice).
   */
  problemCount: number;
  /** Secure keys encrypted under the current data key (its id only). */
  secureKeys: { encrypted: number; keyId: string };
  /** Whether the staging schema's tables the import read (they held the original's plaintext secure keys) were dropped with the import. */
  stagingDropped: boolean;
  /** Whether the staging schema itself was dropped too (only when that left it empty: anything else in it keeps it). */
  stagingSchemaDropped: boolean;
  rowsRead: number;
  rowsWritten: number;
  durationMs: number;
  /** Where the time went: each step of the import and its milliseconds, in order. */
  steps: { step: string; ms: number }[];
}
