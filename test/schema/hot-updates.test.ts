/**
 * The routines' updates of flows and OTPs are HOT (V017, issue 14): no index of
 * verification_flows or otp_records has a column they update in its key,
 * INCLUDE list, expression or predicate, so PostgreSQL keeps the new version
 * on the same page without a new entry in any index. Checked on the catalog,
 * and by counting, within one transaction (pg_stat_xact_user_tables), the
 * updates and the HOT updates of a sign-up's flow and code: issuing a code
 * (otp_count), verifying it (the code: status, is_active; the flow: status,
 * expires_at) and creating the membership.
 * The invariants the dropped unique indexes held (one pending flow per
 * device, phone and purpose; one active code per flow) are raced in
 * test/schema-concurrency/concurrency.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { engines, freshDatabaseEach } from '../support/databases.js';
import { call, ensurePhone, initiateFlow, insertOtp, registerDevice, updateOtpStatus } from './journey.js';

/** The columns the routines update on each table (updated_at by the trigger on every update). */
const UPDATED: Record<string, string[]> = {
  verification_flows: ['status', 'expires_at', 'otp_count', 'updated_at'],
  otp_records: ['status', 'is_active', 'updated_at'],
};

describe.each(engines)('HOT updates of flows and OTPs (%s)', (engine) => {
  const fresh = freshDatabaseEach(engine, { withSchema: true });

  it('no index of verification_flows or otp_records has a column the routines update', async () => {
    const { rows } = await fresh.db.query<{ index: string; table: string; columns: string[] }>(`
      SELECT i.indexrelid::regclass::text AS index, c.relname AS table,
             array(SELECT a.attname::text
                     FROM pg_attribute a
                    WHERE a.attrelid = i.indrelid AND a.attnum > 0
                      AND (a.attnum = ANY (i.indkey::int2[])
                           OR pg_get_indexdef(i.indexrelid) ~ ('\\m' || a.attname || '\\M'))
                    ORDER BY a.attnum) AS columns
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'ecliptix' AND c.relname IN ('verification_flows', 'otp_records')
       ORDER BY 1`);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(
        row.columns.filter((column) => UPDATED[row.table]!.includes(column)),
        `${row.index} (${row.columns.join(', ')})`,
      ).toEqual([]);
    }
  });

  it('issuing and verifying a code and creating the membership update the flow and the code only by HOT updates', async () => {
    const counts = await fresh.db.transaction(async (tx) => {
      const { deviceUid } = await registerDevice(tx);
      const phoneUid = (await ensurePhone(tx, '+12025550188', null, deviceUid)).phone_unique_id;
      const flow = await initiateFlow(tx, deviceUid, phoneUid, 'registration');
      expect(flow.outcome).toBe('created');
      const otp = await insertOtp(tx, flow.flow_unique_id!);
      expect(otp.outcome).toBe('created');
      expect((await updateOtpStatus(tx, otp.otp_unique_id!, 'verified')).outcome).toBe('updated');
      expect((await call(tx, 'create_membership', flow.flow_unique_id, null, otp.otp_unique_id)).outcome).toBe('created');
      const { rows } = await tx.query<{ relname: string; upd: number; hot: number }>(`
        SELECT relname, n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot
          FROM pg_stat_xact_user_tables
         WHERE schemaname = 'ecliptix' AND relname IN ('verification_flows', 'otp_records')
         ORDER BY relname`);
      return rows;
    });
    // The flow: otp_count + 1, then verified; the code: verified (and inactive).
    expect(counts).toEqual([
      { relname: 'otp_records', upd: 1, hot: 1 },
      { relname: 'verification_flows', upd: 2, hot: 2 },
    ]);
  });
});
