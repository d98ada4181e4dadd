/**
 * App devices across partitions (issue 11, docs/SCALE-OUT.md "Devices"), on
 * the real server only: PGlite cannot host PL/Proxy.
 *
 * A device lives on its own partition; a phone routine that takes it needs its
 * row on the phone's partition. The proxy reads the row on the device's
 * partition only when the phone's partition lacks it: a routine routed by
 * number reads it first unless the device lives on the phone's partition; a
 * routine routed by an identifier calls the phone's partition without it, which
 * asks for it (EXD01) only when it has no copy. Reads are counted on the
 * device's partition by a wrapper around ecliptix_partition.app_device_row.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { proxySql, routeAll } from '../../src/cluster/generate.js';
import { idHash, partitionOf, phoneHash } from '../../src/cluster/hash.js';
import { parseClusterConfig } from '../../src/config/cluster.js';
import type { Database } from '../../src/db/database.js';
import { clusterBesideOneDatabase } from './support.js';
import { idIn, shapeOf, type Row } from './transcript.js';

const PARTITIONS = 2;

/** Counts the reads of a device's row on a partition: app_device_row records each call before answering. */
const COUNT_READS = `
  CREATE TABLE IF NOT EXISTS public.device_reads (app_device_id uuid NOT NULL);
  CREATE OR REPLACE FUNCTION ecliptix_partition.app_device_row(p_app_device_id uuid)
  RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  BEGIN
    INSERT INTO public.device_reads VALUES (p_app_device_id);
    RETURN (SELECT pg_catalog.to_jsonb(d) FROM ecliptix.app_devices d WHERE d.unique_id = p_app_device_id);
  END $$;`;

describe('app devices across partitions (postgres + PL/Proxy, 2 partitions)', () => {
  const ctx = clusterBesideOneDatabase(PARTITIONS, { proxyConnections: 8 });
  let nextPhone = 0;

  beforeAll(async () => {
    for (const db of ctx.partitions) await db.exec(COUNT_READS);
  });

  const call = async (db: Database, routine: string, ...args: unknown[]): Promise<Row> => {
    const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
    const { rows } = await db.query<Row>(`SELECT * FROM ecliptix.${routine}(${placeholders})`, args);
    return rows[0]!;
  };
  /** A device registered through the proxy whose home is `partition`. */
  const deviceOn = async (partition: number): Promise<string> => {
    for (;;) {
      const device = idIn(await call(ctx.proxyDb, 'register_app_device_if_not_exists', randomUUID(), randomUUID(), 1), /device/);
      if (idHash(device) === partition) return device;
    }
  };
  const phoneOn = (partition: number): string => {
    for (;;) {
      const phone = `+1202556${String(nextPhone++).padStart(4, '0')}`;
      if (partitionOf(phoneHash(phone), PARTITIONS) === partition) return phone;
    }
  };
  const reads = async (partition: number, device: string): Promise<number> => {
    const { rows } = await ctx.partitions[partition]!.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM public.device_reads WHERE app_device_id = $1',
      [device],
    );
    return rows[0]!.n;
  };
  const copies = async (partition: number, device: string): Promise<string[]> => {
    const { rows } = await ctx.partitions[partition]!.query<{ row: string }>(
      "SELECT (to_jsonb(d) - 'id')::text AS row FROM ecliptix.app_devices d WHERE d.unique_id = $1",
      [device],
    );
    return rows.map((r) => r.row);
  };
  /** The same calls on one database, with its own device and phone identifiers: the outcomes to expect. */
  const onOneDatabase = async (phone: string, devices: number) => {
    const ids: string[] = [];
    for (let i = 0; i < devices; i++)
      ids.push(idIn(await call(ctx.singleDb, 'register_app_device_if_not_exists', randomUUID(), randomUUID(), 1), /device/));
    const phoneRow = await call(ctx.singleDb, 'ensure_phone_number', phone, 'US', ids[0]);
    return { ids, phoneRow, phoneId: idIn(phoneRow, /phone/) };
  };

  it("reads a device's row once per partition that needs it, and answers as one database does", async () => {
    const [device, other] = [await deviceOn(1), await deviceOn(1)];
    const phone = phoneOn(0);
    const single = await onOneDatabase(phone, 2);

    // First contact of the device with the phone's partition (a number route): read once, copied identically.
    const ensured = await call(ctx.proxyDb, 'ensure_phone_number', phone, 'US', device);
    expect(shapeOf(ensured)).toEqual(shapeOf(single.phoneRow));
    expect(await reads(1, device)).toBe(1);
    expect(await copies(0, device)).toEqual(await copies(1, device));
    const phoneId = idIn(ensured, /phone/);

    // A flow start (an identifier route) with that device: the partition has the copy, nothing is read.
    const started = await call(ctx.proxyDb, 'initiate_verification_flow', device, phoneId, 'registration', null);
    expect(shapeOf(started)).toEqual(
      shapeOf(await call(ctx.singleDb, 'initiate_verification_flow', single.ids[0], single.phoneId, 'registration', null)),
    );
    expect(await reads(1, device)).toBe(1);

    // With a device the phone's partition has not seen: the partition asks for it, the proxy reads it and calls again.
    const fromOther = await call(ctx.proxyDb, 'initiate_verification_flow', other, phoneId, 'login', null);
    expect(shapeOf(fromOther)).toEqual(
      shapeOf(await call(ctx.singleDb, 'initiate_verification_flow', single.ids[1], single.phoneId, 'login', null)),
    );
    expect(idIn(fromOther, /^flow/)).toBeTruthy();
    expect(await reads(1, other)).toBe(1);
    expect(await copies(0, other)).toEqual(await copies(1, other));
    // and from then on uses its copy.
    await call(ctx.proxyDb, 'initiate_verification_flow', other, phoneId, 'password_recovery', null);
    expect(await reads(1, other)).toBe(1);
    // A number-routed call cannot know the copy is there: it reads again (docs/SCALE-OUT.md, Devices).
    expect(shapeOf(await call(ctx.proxyDb, 'ensure_phone_number', phone, 'US', device))).toEqual(
      shapeOf(await call(ctx.singleDb, 'ensure_phone_number', phone, 'US', single.ids[0])),
    );
    expect(await reads(1, device)).toBe(2);
  });

  it('keeps the meaning of NULL a proxy deployed before partitions could ask gives (read, not found), and ignores a row for a device at home', async () => {
    const phone = phoneOn(0);
    const phoneId = idIn(await call(ctx.proxyDb, 'ensure_phone_number', phone, 'US', await deviceOn(0)), /phone/);
    const single = await onOneDatabase(phoneOn(1), 1);
    const expected = shapeOf(await call(ctx.singleDb, 'initiate_verification_flow', randomUUID(), single.phoneId, 'registration', null));
    // An unknown device of partition 1 through the hop as the earlier proxy called it: "not found", not EXD01.
    const unknown = `0001${randomUUID().slice(4)}`;
    const { rows: viaOldProxy } = await ctx.proxyDb.query<Row>(
      'SELECT * FROM ecliptix_route.initiate_verification_flow_with_device($1, $2, $3, NULL, NULL)',
      [unknown, phoneId, 'registration'],
    );
    expect(shapeOf(viaOldProxy[0])).toEqual(expected);
    // A forged row for an identifier whose home is partition 0, handed to partition 0 directly: not inserted.
    const forged = `0000${randomUUID().slice(4)}`;
    const row = { unique_id: forged, app_instance_id: randomUUID(), device_id: randomUUID(), device_type: 1, is_deleted: false };
    const { rows: direct } = await ctx.partitions[0]!.query<Row>(
      'SELECT * FROM ecliptix_partition.initiate_verification_flow_with_device($1, $2, $3, NULL, $4::jsonb)',
      [forged, phoneId, 'registration', JSON.stringify(row)],
    );
    expect(shapeOf(direct[0])).toEqual(expected);
    expect(await copies(0, forged)).toEqual([]);
  });

  it('never reads a device whose home is the phone’s partition', async () => {
    const device = await deviceOn(0);
    const phone = phoneOn(0);
    const single = await onOneDatabase(phone, 1);
    const ensured = await call(ctx.proxyDb, 'ensure_phone_number', phone, 'US', device);
    expect(shapeOf(ensured)).toEqual(shapeOf(single.phoneRow));
    await call(ctx.proxyDb, 'initiate_verification_flow', device, idIn(ensured, /phone/), 'registration', null);
    expect(await reads(0, device)).toBe(0);
    expect(await copies(0, device)).toHaveLength(1);
    expect(await copies(1, device)).toEqual([]);
  });

  it('answers an unknown device as one database does, wherever its identifier points, and copies nothing', async () => {
    const phone = phoneOn(0);
    const single = await onOneDatabase(phone, 1);
    const ensured = await call(ctx.proxyDb, 'ensure_phone_number', phone, 'US', await deviceOn(0));
    const phoneId = idIn(ensured, /phone/);
    for (const home of [0, 1]) {
      const unknown = `000${home}${randomUUID().slice(4)}`;
      expect(idHash(unknown)).toBe(home);
      const viaProxy = [
        await call(ctx.proxyDb, 'ensure_phone_number', phoneOn(0), 'US', unknown),
        await call(ctx.proxyDb, 'initiate_verification_flow', unknown, phoneId, 'registration', null),
      ];
      const onOne = [
        await call(ctx.singleDb, 'ensure_phone_number', phoneOn(1), 'US', randomUUID()),
        await call(ctx.singleDb, 'initiate_verification_flow', randomUUID(), single.phoneId, 'registration', null),
      ];
      expect(shapeOf(viaProxy)).toEqual(shapeOf(onOne));
      expect(await copies(0, unknown)).toEqual([]);
      expect(await copies(1, unknown)).toEqual([]);
    }
  });

  it('generates a proxy routine that compiles for a routine added later that takes a device and returns one value', async () => {
    const args = 'p_flow_unique_id uuid, p_app_device_id uuid';
    const [routine] = routeAll([
      {
        name: 'flow_device_label',
        arguments: args,
        identityArguments: args,
        result: 'text',
        returnsSet: false,
        argumentNames: ['p_flow_unique_id', 'p_app_device_id'],
        argumentTypes: ['uuid', 'uuid'],
      },
    ]);
    expect(routine!.route).toEqual({ kind: 'id', argument: 'p_flow_unique_id', copiesDevice: 'p_app_device_id' });
    const script = proxySql([routine!], parseClusterConfig(ctx.cluster.config), undefined);
    // Applied and rolled back: PL/pgSQL compiles each body when it is created.
    await ctx.proxyDb.withSession(async (session) => {
      await session.exec('BEGIN');
      try {
        await session.exec(script);
        const { rows } = await session.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_proc WHERE oid = 'ecliptix.flow_device_label(uuid, uuid)'::regprocedure",
        );
        expect(rows[0]!.n).toBe(1);
      } finally {
        await session.exec('ROLLBACK');
      }
    });
  });

  it('starts every flow when flows start concurrently from a device the phones’ partition has not seen, with one identical copy', async () => {
    const [linked, racing] = [await deviceOn(1), await deviceOn(1)];
    const phoneIds: string[] = [];
    for (let i = 0; i < 8; i++) phoneIds.push(idIn(await call(ctx.proxyDb, 'ensure_phone_number', phoneOn(0), 'US', linked), /phone/));
    const results = await Promise.allSettled(
      phoneIds.map((phoneId) => call(ctx.proxyDb, 'initiate_verification_flow', racing, phoneId, 'registration', null)),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const r of results) expect(idIn((r as PromiseFulfilledResult<Row>).value, /^flow/)).toBeTruthy();
    expect(await copies(0, racing)).toEqual(await copies(1, racing));
    expect(await reads(1, racing)).toBeGreaterThanOrEqual(1);
    expect(await reads(1, racing)).toBeLessThanOrEqual(8);
  });
});
