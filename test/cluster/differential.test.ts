/**
 * Through the proxy as on one database (issue 11), on the real server only:
 * PGlite cannot host PL/Proxy. The same calls of every routine (transcript.ts)
 * run on a cluster of 4 partitions and on one database give the same outcomes,
 * result columns and values (identifiers and times aside); afterwards every
 * row of each phone is on the partition its number hashes to and on no other,
 * every identifier carries the partition that issued it, and the device rows
 * copied to a phone's partition are identical to their originals.
 * A proxy that routes flow starts by the device's partition instead of the
 * phone's fails the comparison.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { idHash, partitionOf, phoneHash } from '../../src/cluster/hash.js';
import { clusterBesideOneDatabase } from './support.js';
import { DIFFERENTIAL_PHONES, differentialJourney, Transcript, UNKNOWN_PHONES } from './transcript.js';

const PARTITIONS = 4;

/** Rows of one phone number in each table, on one database. */
const ROWS_OF_PHONE = `
WITH p AS (SELECT id, unique_id FROM ecliptix.phone_numbers WHERE phone_number = $1)
SELECT (SELECT count(*) FROM p)::int AS phone_numbers,
       (SELECT count(*) FROM ecliptix.phone_number_devices l JOIN p ON l.phone_number_id = p.unique_id)::int AS phone_number_devices,
       (SELECT count(*) FROM ecliptix.verification_flows f JOIN p ON f.phone_number_id = p.id)::int AS verification_flows,
       (SELECT count(*) FROM ecliptix.otp_records o JOIN p ON o.phone_number_id = p.id)::int AS otp_records,
       (SELECT count(*) FROM ecliptix.failed_otp_attempts a JOIN ecliptix.verification_flows f ON f.unique_id = a.flow_unique_id
                                                            JOIN p ON f.phone_number_id = p.id)::int AS failed_otp_attempts,
       (SELECT count(*) FROM ecliptix.memberships m JOIN p ON m.phone_number_id = p.unique_id)::int AS memberships,
       (SELECT count(*) FROM ecliptix.membership_attempts a JOIN p ON a.phone_number_id = p.unique_id)::int AS membership_attempts,
       (SELECT count(*) FROM ecliptix.login_attempts WHERE phone_number = $1)::int AS login_attempts`;

const TABLES_WITH_IDS = ['phone_numbers', 'verification_flows', 'otp_records', 'memberships', 'membership_attempts'];
const COUNTED_TABLES = [...TABLES_WITH_IDS, 'phone_number_devices', 'failed_otp_attempts', 'login_attempts', 'event_log'];

type Counts = Record<string, number>;

async function rowsOfPhone(db: Database, phone: string): Promise<Counts> {
  return (await db.query<Counts>(ROWS_OF_PHONE, [phone])).rows[0]!;
}

async function tableCounts(db: Database): Promise<Counts> {
  const sql = COUNTED_TABLES.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ecliptix.${t}`).join(' UNION ALL ');
  return Object.fromEntries((await db.query<{ t: string; n: number }>(sql)).rows.map((r) => [r.t, r.n]));
}

const allPhones = [...DIFFERENTIAL_PHONES, ...UNKNOWN_PHONES];

describe('the routines through the proxy (postgres + PL/Proxy, 4 partitions)', () => {
  const ctx = clusterBesideOneDatabase(PARTITIONS);

  it('give the same outcomes and result columns as one database, and keep each phone on its partition', async () => {
    // The numbers fall on more than one partition, so misplaced rows would show.
    expect(new Set(allPhones.map((phone) => partitionOf(phoneHash(phone), PARTITIONS))).size).toBeGreaterThan(1);

    const onOne = new Transcript(ctx.singleDb);
    await differentialJourney(onOne);
    const throughProxy = new Transcript(ctx.proxyDb);
    await differentialJourney(throughProxy);
    expect(throughProxy.entries.length).toBeGreaterThan(250);
    expect(throughProxy.entries).toEqual(onOne.entries);
    // Sanity: the journey reached its goal on one database (a released key equal to the stored one).
    expect(onOne.entries.filter((e) => e.call === 'released key is the stored key').map((e) => e.rows)).toEqual(
      DIFFERENTIAL_PHONES.map(() => true),
    );

    // Every row of each phone on its partition, as many as on one database, and none anywhere else.
    for (const phone of allPhones) {
      const home = partitionOf(phoneHash(phone), PARTITIONS);
      const expected = await rowsOfPhone(ctx.singleDb, phone);
      for (const [index, db] of ctx.partitions.entries()) {
        const counts = await rowsOfPhone(db, phone);
        if (index === home) expect(counts, `${phone} on its partition ${index}`).toEqual(expected);
        else
          expect(
            Object.values(counts).every((n) => n === 0),
            `${phone} on partition ${index}: ${JSON.stringify(counts)}`,
          ).toBe(true);
      }
    }

    // Nothing else was written: the partitions' rows add up to the single database's, table by table.
    const totals: Counts = {};
    for (const db of ctx.partitions) for (const [t, n] of Object.entries(await tableCounts(db))) totals[t] = (totals[t] ?? 0) + n;
    expect(totals).toEqual(await tableCounts(ctx.singleDb));

    // Identifiers carry the partition that issued them.
    for (const [index, db] of ctx.partitions.entries()) {
      for (const table of TABLES_WITH_IDS) {
        const { rows } = await db.query<{ id: string }>(`SELECT unique_id::text AS id FROM ecliptix.${table}`);
        for (const { id } of rows) expect(idHash(id), `${table} ${id} on partition ${index}`).toBe(index);
      }
    }

    // Devices: each registered once, on its own partition; every copy identical to it.
    const devices = new Map<string, { home: number; row: string }[]>();
    for (const [index, db] of ctx.partitions.entries()) {
      const { rows } = await db.query<{ id: string; row: string }>(
        "SELECT unique_id::text AS id, (to_jsonb(d) - 'id')::text AS row FROM ecliptix.app_devices d",
      );
      for (const { id, row } of rows) devices.set(id, [...(devices.get(id) ?? []), { home: index, row }]);
    }
    const singleDevices = (await ctx.singleDb.query<{ n: number }>('SELECT count(*)::int AS n FROM ecliptix.app_devices')).rows[0]!.n;
    expect(devices.size).toBe(singleDevices);
    for (const [id, copies] of devices) {
      const original = copies.find((c) => c.home === idHash(id));
      expect(original, `device ${id} on its own partition`).toBeDefined();
      for (const copy of copies) expect(copy.row).toBe(original!.row);
    }
  });

  it('tell a proxy that routes flow starts by the device instead of the phone (the comparison is not vacuous)', async () => {
    await ctx.proxyDb.exec(
      `
      CREATE OR REPLACE FUNCTION ecliptix_route.initiate_verification_flow_with_device(
        p_app_device_id uuid, p_phone_unique_id uuid, p_purpose text, p_connection_id bigint, p_app_device jsonb)
      RETURNS TABLE(LIKE_RESULT) LANGUAGE plproxy SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
        CLUSTER 'ecliptix';
        RUN ON ecliptix_route.id_hash(p_app_device_id);
        TARGET ecliptix_partition.initiate_verification_flow_with_device;
      $fn$;`.replace('LIKE_RESULT', await resultColumns(ctx.proxyDb, 'ecliptix_route.initiate_verification_flow_with_device')),
    );
    const onOne = new Transcript(ctx.singleDb);
    const throughProxy = new Transcript(ctx.proxyDb);
    await differentialJourney(onOne);
    await differentialJourney(throughProxy).catch(() => undefined);
    // A flow start differs: the phone is not on the partition the flow went to.
    const starts = (t: Transcript) => t.entries.filter((e) => e.call === 'initiate_verification_flow').map((e) => e.rows);
    expect(starts(throughProxy).length).toBeGreaterThan(0);
    expect(starts(throughProxy)).not.toEqual(starts(onOne).slice(0, starts(throughProxy).length));
  });
});

/** The RETURNS TABLE column list of a function, e.g. `outcome text, flow_unique_id uuid`. */
async function resultColumns(db: Database, name: string): Promise<string> {
  const { rows } = await db.query<{ result: string }>(
    'SELECT pg_get_function_result(p.oid) AS result FROM pg_proc p WHERE p.oid = $1::regproc',
    [name],
  );
  return rows[0]!.result.replace(/^TABLE\((.*)\)$/s, '$1');
}
