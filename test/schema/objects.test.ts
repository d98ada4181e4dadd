/**
 * inspectObjects, the one inventory of the schema (status and verify both use
 * it): present only with the expected kind, a trigger only on its own table,
 * what is there instead, and the counts from the manifest.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST, OBJECT_COUNT, OBJECT_KINDS, ROUTINE_COUNT } from '../../src/schema/manifest.js';
import { expectedKind, inspectObjects } from '../../src/schema/objects.js';
import { createTestDatabase, type TestDatabase, withOpenDatabase } from '../support/databases.js';

describe('the manifest counts', () => {
  it('are derived from MANIFEST: 36 objects, 17 routines', () => {
    expect(OBJECT_COUNT).toBe(MANIFEST.length);
    expect(OBJECT_COUNT).toBe(36);
    expect(ROUTINE_COUNT).toBe(MANIFEST.filter((o) => expectedKind(o) === 'function').length);
    expect(ROUTINE_COUNT).toBe(17);
  });
});

describe('inspectObjects', () => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await createTestDatabase('pglite');
  });
  afterEach(async () => {
    await target.drop();
  });

  it('finds wrong kinds and a trigger on the wrong table, and reports them as unexpected too', async () => {
    const report = await withOpenDatabase(target, async (db) => {
      await db.exec(`
        CREATE SCHEMA ecliptix;
        CREATE TABLE ecliptix.app_devices (id integer, updated_at timestamptz);
        CREATE TABLE ecliptix.phone_numbers (id integer, updated_at timestamptz);
        CREATE VIEW ecliptix.memberships AS SELECT 1 AS id;
        CREATE PROCEDURE ecliptix.get_phone_number() LANGUAGE sql AS 'SELECT 1';
        CREATE FUNCTION ecliptix.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER trg_phone_numbers_updated_at BEFORE UPDATE ON ecliptix.phone_numbers FOR EACH ROW EXECUTE FUNCTION ecliptix.touch();
        CREATE TRIGGER trg_app_devices_updated_at BEFORE UPDATE ON ecliptix.phone_numbers FOR EACH ROW EXECUTE FUNCTION ecliptix.touch();
        ALTER TABLE ecliptix.phone_numbers DISABLE TRIGGER trg_phone_numbers_updated_at;`);
      return inspectObjects(db);
    });
    const byName = new Map(report.objects.map((o) => [o.name, o]));
    expect(report.objects).toHaveLength(OBJECT_COUNT);
    expect(byName.get('app_devices')).toMatchObject({ present: true, enabled: true });
    expect(byName.get('app_devices')!.actualKind).toBeUndefined();
    expect(byName.get('memberships')).toMatchObject({ present: false, actualKind: 'view' });
    expect(byName.get('get_phone_number')).toMatchObject({ present: false, actualKind: 'procedure (CREATE PROCEDURE)' });
    expect(byName.get('trg_app_devices_updated_at')).toMatchObject({ present: false, actualKind: 'trigger on table phone_numbers' });
    expect(byName.get('trg_phone_numbers_updated_at')).toMatchObject({ present: true, enabled: false });
    expect(byName.get('otp_records')).toMatchObject({ present: false, enabled: false });
    expect(byName.get('otp_records')!.actualKind).toBeUndefined();
    expect(report.unexpected).toEqual(
      expect.arrayContaining([
        { name: 'memberships', kind: 'view' },
        { name: 'get_phone_number', kind: 'procedure (CREATE PROCEDURE)' },
        { name: 'trg_app_devices_updated_at', kind: 'trigger' },
        { name: 'touch', kind: 'function' },
      ]),
    );
    expect(report.unexpected).toHaveLength(4);
    expect(report.byKind.map((k) => k.kind)).toEqual(OBJECT_KINDS);
    expect(report.byKind.find((k) => k.kind === 'table')).toEqual({ kind: 'table', expected: 10, present: 2 });
    expect(report.byKind.find((k) => k.kind === 'trigger')).toEqual({ kind: 'trigger', expected: 9, present: 1 });
    expect(report.complete).toBe(false);
  });
});
