/**
 * Lock-removal mutants: a manual check that each concurrency test depends on
 * the control it is about. Set SCHEMA_CONCURRENCY_MUTANT=<name> to run
 * concurrency.test.ts against copies of the routines with one control removed
 * or weakened (applied to the test database only; the migration files are not
 * touched). Every test that relies on that control must then fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { Queryable } from '../../src/db/database.js';
import { shippedMigrationsDir } from '../../src/sql-files.js';

interface Mutant {
  /** Migration files (relative to the shipped folder) to re-apply with the edits. */
  files: string[] | (() => string[]);
  /** Each pattern must match at least one of the files, else the mutant is stale. */
  edits: { pattern: RegExp; replacement: string }[];
}

/** Every shipped migration file whose text contains `needle`. */
function filesContaining(needle: string): () => string[] {
  return () =>
    (readdirSync(shippedMigrationsDir, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.sql') && !/^V\d/.test(file.split(sep).pop()!))
      .map((file) => file.split(sep).join('/'))
      .filter((file) => readFileSync(join(shippedMigrationsDir, file), 'utf8').includes(needle))
      .sort();
}

const TAKE_GUARD = /perform ecliptix_internal\.take_guard\(([^;]*)\);/g;

const lockMutants: Record<string, Mutant> = {
  // No limit guard anywhere: every counted limit races at READ COMMITTED.
  'no-limit-guards': {
    files: filesContaining('ecliptix_internal.take_guard('),
    edits: [{ pattern: TAKE_GUARD, replacement: '' }],
  },
  // The guard as an advisory lock (what the routines did before): it
  // serialises callers, so READ COMMITTED holds, but under REPEATABLE READ and
  // SERIALIZABLE a caller that waited counts the rows of its old snapshot.
  'guards-as-advisory-locks': {
    files: filesContaining('ecliptix_internal.take_guard('),
    edits: [{ pattern: TAKE_GUARD, replacement: 'perform pg_advisory_xact_lock(hashtextextended($1, 0));' }],
  },
  // Check-then-insert without ON CONFLICT (the original's pattern).
  'register-device-no-on-conflict': {
    files: ['procedures/R__register_app_device_if_not_exists.sql'],
    edits: [
      {
        pattern:
          /insert into ecliptix\.app_devices as d \(app_instance_id, device_id, device_type\)\s+values \(p_app_instance_id, p_device_id, p_device_type\)\s+on conflict \(device_id\) where not is_deleted do nothing\s+returning d\.unique_id into v_unique_id;/,
        replacement: `if not exists (select 1 from ecliptix.app_devices d where d.device_id = p_device_id and not d.is_deleted) then
      insert into ecliptix.app_devices as d (app_instance_id, device_id, device_type)
      values (p_app_instance_id, p_device_id, p_device_type)
      returning d.unique_id into v_unique_id;
    end if;`,
      },
    ],
  },
  'insert-otp-no-flow-lock': {
    files: ['procedures/R__insert_otp_record.sql'],
    edits: [{ pattern: /(where f\.unique_id = p_flow_unique_id and not f\.is_deleted)\s+for update;/, replacement: '$1;' }],
  },
  // The original: insert_otp_record does not look at the cooldown (the caller checked it before).
  'insert-otp-no-cooldown': {
    files: ['procedures/R__insert_otp_record.sql'],
    edits: [
      {
        pattern: /if v_cooldown > interval '0' and v_ready_at > v_now then\s+return query select 'resend_cooldown_active'/,
        replacement: "if false then\n    return query select 'resend_cooldown_active'",
      },
    ],
  },
  'create-membership-no-locks': {
    files: ['procedures/R__create_membership.sql'],
    edits: [
      { pattern: TAKE_GUARD, replacement: '' },
      { pattern: /(where f\.unique_id = p_flow_unique_id and not f\.is_deleted)\s+for update;/, replacement: '$1;' },
    ],
  },
  // Check-then-insert of the phone without ON CONFLICT.
  'ensure-phone-no-on-conflict': {
    files: ['procedures/R__ensure_phone_number.sql'],
    edits: [
      {
        pattern:
          /insert into ecliptix\.phone_numbers as p \(phone_number, region\)\s+values \(p_phone_number, p_region\)\s+on conflict \(phone_number\) where not is_deleted do nothing\s+returning p\.id, p\.unique_id into v_phone_id, v_phone_uid;/,
        replacement: `if not exists (select 1 from ecliptix.phone_numbers p where p.phone_number = p_phone_number and not p.is_deleted) then
      insert into ecliptix.phone_numbers as p (phone_number, region)
      values (p_phone_number, p_region)
      returning p.id, p.unique_id into v_phone_id, v_phone_uid;
    end if;`,
      },
    ],
  },
};

/** Applies the mutant named by SCHEMA_CONCURRENCY_MUTANT (if any) to this database. */
export async function applyRequestedMutant(db: Queryable): Promise<string | undefined> {
  const name = process.env.SCHEMA_CONCURRENCY_MUTANT;
  if (!name) return undefined;
  const mutant = lockMutants[name];
  if (!mutant) throw new Error(`unknown SCHEMA_CONCURRENCY_MUTANT ${name}; known: ${Object.keys(lockMutants).join(', ')}`);
  const files = typeof mutant.files === 'function' ? mutant.files() : mutant.files;
  const texts = files.map((file) => readFileSync(join(shippedMigrationsDir, file), 'utf8'));
  for (const edit of mutant.edits) {
    if (!texts.some((text) => new RegExp(edit.pattern.source).test(text))) {
      throw new Error(`mutant ${name}: ${edit.pattern} no longer matches ${files.join(', ') || '(no file)'}`);
    }
  }
  for (const text of texts) {
    const mutated = mutant.edits.reduce((sql, edit) => sql.replace(edit.pattern, edit.replacement), text);
    if (mutated !== text) await db.exec(mutated);
  }
  return name;
}
