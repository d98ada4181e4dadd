/**
 * Every hot query is an index scan on a large table (SCHEMA.md, Indexes).
 *
 * With 100,000 rows in each ecliptix table (bulk-data.ts) and fresh
 * statistics, each query that a procedure runs is prepared with its
 * parameters typed as the procedure's variables, and EXPLAINed twice: as the
 * generic plan that PL/pgSQL settles on after a few calls (the parameter
 * values unknown) and as a custom plan for real values. The plan must read the
 * expected table through the index meant for that query (an index scan on
 * another index of the table can be a disguised full scan: a condition on a
 * non-leading column) and must not contain a Seq Scan of any ecliptix table.
 * One test per query, titled with the index it needs, so a missing index names
 * itself.
 *
 * The retention clean-up is checked through its own statements
 * (sql/operations/cleanup), with custom plans only: the clean-up runs rarely,
 * each batch with its cut-off known, and a generic plan for "created_at < $1"
 * has to assume a third of the table matches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Engine } from '../../src/db/database.js';
import { DEFAULT_BATCH_SIZE, RETENTION_RULES } from '../../src/operations/cleanup.js';
import { sqlFile } from '../../src/sql-files.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { planNodes, type PlanNode } from '../support/plans.js';
import { bulkLoadSql } from './bulk-data.js';

type Mode = 'generic' | 'custom';

/** Known rows of the bulk data: the phone with id 50001 and what hangs off it. */
interface Sample {
  phone_id: number;
  phone_uid: string;
  phone: string;
  region: string | null;
  device_uid: string;
  device_id: string;
  flow_uid: string;
  otp_uid: string;
  membership_uid: string;
}

interface PlanCase {
  /** What the query does. */
  query: string;
  /** The routine(s) that run it (or the clean-up). */
  by: string;
  /** The large table that must be read through an index … */
  table: string;
  /**
   * … namely one of these: the indexes whose leading column(s) the query
   * constrains by equality (or by the range it filters on), so that the scan
   * reads only the matching entries.
   */
  indexes: string[];
  /** The statement, with $n where the routine binds a variable or parameter. */
  sql: string | (() => string);
  /** Types of $1 … $n, as the routine declares them (empty: as the statement casts them). */
  types: string[];
  /** SQL expressions for the values of $1 … $n (used by the custom plan). */
  args: (s: Sample) => string[];
  modes?: Mode[];
  /**
   * A count that reads every row not soft-deleted (the expiry rules: V017 keeps
   * status, expires_at and is_active out of every index, so that the routines'
   * updates of them are HOT): a sequential scan is as good a plan as the index
   * when most rows are live, as in the bulk data.
   */
  seqScanAllowed?: boolean;
}

const lit = (value: string | number | null, type: string) =>
  value === null ? `NULL::${type}` : `'${String(value).replace(/'/g, "''")}'::${type}`;

const hot: Mode[] = ['generic', 'custom'];
const retention: Mode[] = ['custom'];

/** The clean-up's own statements (sql/operations/cleanup/<rule>-count.sql and -batch.sql). */
function cleanupCases(): PlanCase[] {
  // cutoff: the instant the rule compares with, as SQL. batch: rows per batch where the default would take all
  // the bulk data's matching rows at once — the batches that matter take fewer than match, which the plan must
  // walk in index order. (limit-guards, whose table the bulk data leaves empty, is checked in
  // test/operations/cleanup.test.ts.)
  const rules: { rule: string; table: string; indexes: string[]; liveCount?: boolean; cutoff: string; batch?: number }[] = [
    {
      rule: 'abandoned-flows',
      table: 'verification_flows',
      indexes: ['ix_verification_flows_created'],
      liveCount: true,
      cutoff: 'now()',
      batch: 500,
    },
    {
      rule: 'expired-otps',
      table: 'otp_records',
      indexes: ['ix_otp_records_created'],
      liveCount: true,
      cutoff: 'now()',
      batch: 500,
    },
    { rule: 'finished-flow-otps', table: 'otp_records', indexes: ['ix_otp_records_created'], liveCount: true, cutoff: 'now()', batch: 500 },
    {
      rule: 'verification-flows',
      table: 'verification_flows',
      indexes: ['ix_verification_flows_created'],
      cutoff: "now() - interval '30 days'",
    },
    { rule: 'otp-records', table: 'otp_records', indexes: ['ix_otp_records_created'], cutoff: "now() - interval '30 days'" },
    {
      rule: 'failed-otp-attempts',
      table: 'failed_otp_attempts',
      indexes: ['ix_failed_otp_attempts_attempt_time'],
      cutoff: "now() - interval '30 days'",
    },
    {
      rule: 'login-attempts',
      table: 'login_attempts',
      indexes: ['ix_login_attempts_success_attempted'],
      cutoff: "now() - interval '30 days'",
    },
    {
      rule: 'failed-login-attempts',
      table: 'login_attempts',
      indexes: ['ix_login_attempts_failure_attempted'],
      cutoff: "now() - interval '90 days'",
    },
    {
      rule: 'membership-attempts',
      table: 'membership_attempts',
      indexes: ['ix_membership_attempts_success_attempted'],
      cutoff: "now() - interval '30 days'",
    },
    {
      rule: 'failed-membership-attempts',
      table: 'membership_attempts',
      indexes: ['ix_membership_attempts_failure_attempted'],
      cutoff: "now() - interval '90 days'",
    },
    { rule: 'event-log', table: 'event_log', indexes: ['ix_event_log_created_at'], cutoff: "now() - interval '90 days'" },
  ];
  return rules.flatMap(({ rule, table, indexes, liveCount, cutoff, batch }) => {
    const definition = RETENTION_RULES.find((r) => r.rule === rule)!;
    return (['count', 'batch'] as const).map((kind) => ({
      query: `${kind === 'count' ? 'rows the rule takes' : 'one batch of the rows the rule takes'} (${rule}-${kind}.sql)`,
      by: 'clean-up',
      table,
      indexes,
      seqScanAllowed: kind === 'count' && liveCount === true,
      // Read when the test runs, so that it checks the clean-up as it is now.
      sql: () => sqlFile(`operations/cleanup/${rule}-${kind}.sql`).replace(/;\s*$/, ''),
      types: [],
      args: () =>
        kind === 'count'
          ? [cutoff, ...(definition.countsAfterExpiry ? ["'-infinity'::timestamptz"] : [])]
          : [
              cutoff,
              String(batch ?? DEFAULT_BATCH_SIZE),
              ...(definition.keyset ?? []).map((value) => (typeof value === 'number' ? String(value) : `'${value}'`)),
            ],
      modes: retention,
    }));
  });
}

const cases: PlanCase[] = [
  // --- phone_numbers -------------------------------------------------------
  {
    query: 'active phone by unique_id (then its limit guard)',
    by: 'initiate_verification_flow',
    table: 'phone_numbers',
    indexes: ['phone_numbers_unique_id_key'],
    sql: 'select p.id from ecliptix.phone_numbers p where p.unique_id = $1 and not p.is_deleted',
    types: ['uuid'],
    args: (s) => [lit(s.phone_uid, 'uuid')],
  },
  {
    query: 'phone by unique_id (active or not)',
    by: 'log_membership_attempt',
    table: 'phone_numbers',
    indexes: ['phone_numbers_unique_id_key'],
    sql: 'select p.id from ecliptix.phone_numbers p where p.unique_id = $1',
    types: ['uuid'],
    args: (s) => [lit(s.phone_uid, 'uuid')],
  },
  {
    query: 'phone number and region by unique_id',
    by: 'get_phone_number, get_phone_number_details',
    table: 'phone_numbers',
    indexes: ['phone_numbers_unique_id_key'],
    sql: 'select p.phone_number, p.region, p.unique_id from ecliptix.phone_numbers p where p.unique_id = $1 and not p.is_deleted',
    types: ['uuid'],
    args: (s) => [lit(s.phone_uid, 'uuid')],
  },
  {
    query: 'active phone by phone_number (one per number, whatever the region)',
    by: 'ensure_phone_number',
    table: 'phone_numbers',
    indexes: ['ux_phone_numbers_number_active'],
    sql: `select p.id, p.unique_id from ecliptix.phone_numbers p
           where p.phone_number = $1 and not p.is_deleted`,
    types: ['varchar'],
    args: (s) => [lit(s.phone, 'varchar')],
  },
  {
    query: "fill in a known phone's missing region",
    by: 'ensure_phone_number',
    table: 'phone_numbers',
    indexes: ['phone_numbers_pkey'],
    sql: 'update ecliptix.phone_numbers p set region = $2 where p.id = $1 and p.region is null',
    types: ['bigint', 'varchar'],
    args: (s) => [lit(s.phone_id, 'bigint'), lit('US', 'varchar')],
  },
  {
    query: 'active phone by phone_number',
    by: 'login_membership',
    table: 'phone_numbers',
    indexes: ['ux_phone_numbers_number_active'],
    sql: 'select not exists (select 1 from ecliptix.phone_numbers p where p.phone_number = $1 and not p.is_deleted)',
    types: ['varchar'],
    args: (s) => [lit(s.phone, 'varchar')],
  },
  // --- app_devices -----------------------------------------------------------
  {
    query: 'active device by device_id',
    by: 'register_app_device_if_not_exists',
    table: 'app_devices',
    indexes: ['ux_app_devices_device_id_active'],
    sql: 'select d.unique_id from ecliptix.app_devices d where d.device_id = $1 and not d.is_deleted',
    types: ['uuid'],
    args: (s) => [lit(s.device_id, 'uuid')],
  },
  {
    query: 'active device by unique_id',
    by: 'ensure_phone_number, initiate_verification_flow',
    table: 'app_devices',
    indexes: ['app_devices_unique_id_key'],
    sql: 'select not exists (select 1 from ecliptix.app_devices d where d.unique_id = $1 and not d.is_deleted)',
    types: ['uuid'],
    args: (s) => [lit(s.device_uid, 'uuid')],
  },
  // --- phone_number_devices --------------------------------------------------
  {
    query: 'another active primary link of the phone',
    by: 'ensure_phone_number',
    table: 'phone_number_devices',
    indexes: ['ux_phone_number_devices_primary_active', 'phone_number_devices_pkey'],
    sql: `select exists (select 1 from ecliptix.phone_number_devices l
           where l.phone_number_id = $1 and l.app_device_id <> $2 and l.is_primary and not l.is_deleted)`,
    types: ['uuid', 'uuid'],
    args: (s) => [lit(s.phone_uid, 'uuid'), lit(s.device_uid, 'uuid')],
  },
  // --- verification_flows ----------------------------------------------------
  {
    query: 'verified unexpired flow of (device, phone, purpose)',
    by: 'initiate_verification_flow',
    table: 'verification_flows',
    // The phone's verified flows (V014's partial index) serve it as well: equality on its leading column.
    indexes: ['ix_verification_flows_device_phone_purpose', 'ix_verification_flows_phone_created'],
    sql: `select f.unique_id from ecliptix.verification_flows f
           where f.app_device_id = $1 and f.phone_number_id = $2 and f.purpose = $3
             and f.status = 'verified' and f.expires_at > $4 and not f.is_deleted
           order by f.expires_at desc limit 1`,
    types: ['uuid', 'bigint', 'text', 'timestamptz'],
    args: (s) => [lit(s.device_uid, 'uuid'), lit(s.phone_id, 'bigint'), lit('registration', 'text'), 'now()'],
  },
  {
    query: 'expire stale pending flows of (device, phone, purpose)',
    by: 'initiate_verification_flow',
    table: 'verification_flows',
    indexes: ['ix_verification_flows_device_phone_purpose', 'ix_verification_flows_phone_created'],
    sql: `update ecliptix.verification_flows f set status = 'expired'
           where f.app_device_id = $1 and f.phone_number_id = $2 and f.purpose = $3
             and f.status = 'pending' and f.expires_at <= $4 and not f.is_deleted`,
    types: ['uuid', 'bigint', 'text', 'timestamptz'],
    args: (s) => [lit(s.device_uid, 'uuid'), lit(s.phone_id, 'bigint'), lit('registration', 'text'), 'now()'],
  },
  {
    query: 'pending flow of (device, phone, purpose)',
    by: 'initiate_verification_flow',
    table: 'verification_flows',
    indexes: ['ix_verification_flows_device_phone_purpose', 'ix_verification_flows_phone_created'],
    sql: `select f.unique_id from ecliptix.verification_flows f
           where f.app_device_id = $1 and f.phone_number_id = $2 and f.purpose = $3
             and f.status = 'pending' and not f.is_deleted`,
    types: ['uuid', 'bigint', 'text'],
    args: (s) => [lit(s.device_uid, 'uuid'), lit(s.phone_id, 'bigint'), lit('registration', 'text')],
  },
  {
    query: 'flows of the phone in the last flow_rate_window',
    by: 'initiate_verification_flow',
    table: 'verification_flows',
    indexes: ['ix_verification_flows_phone_created'],
    sql: `select count(*) from ecliptix.verification_flows f
           where f.phone_number_id = $1 and f.created_at > $2 - ecliptix_internal.setting_interval('flow_rate_window')`,
    types: ['bigint', 'timestamptz'],
    args: (s) => [lit(s.phone_id, 'bigint'), 'now()'],
  },
  {
    query: 'active flow by unique_id, locked',
    by: 'insert_otp_record, request_resend_otp, update_otp_status, expire_associated_otp, create_membership, update_membership_secure_key, update_verification_flow_status',
    table: 'verification_flows',
    indexes: ['verification_flows_unique_id_key'],
    sql: `select f.id, f.status, f.expires_at, f.otp_count, f.phone_number_id from ecliptix.verification_flows f
           where f.unique_id = $1 and not f.is_deleted for update`,
    types: ['uuid'],
    args: (s) => [lit(s.flow_uid, 'uuid')],
  },
  {
    query: 'set flow status by unique_id',
    by: 'update_verification_flow_status',
    table: 'verification_flows',
    indexes: ['verification_flows_unique_id_key'],
    sql: `update ecliptix.verification_flows f set status = $2
           where f.unique_id = $1 and not f.is_deleted`,
    types: ['uuid', 'text'],
    args: (s) => [lit(s.flow_uid, 'uuid'), lit('failed', 'text')],
  },
  // --- otp_records -----------------------------------------------------------
  {
    query: "flow state with the flow's active unexpired OTP",
    by: 'get_full_flow_state',
    table: 'otp_records',
    indexes: ['ix_otp_records_flow_created'],
    sql: `select f.unique_id, p.unique_id, f.app_device_id, f.connection_id, f.expires_at,
                 f.status, f.purpose, f.otp_count,
                 o.unique_id, o.otp_hash, o.otp_salt, o.expires_at, o.status, o.is_active
           from ecliptix.verification_flows f
           join ecliptix.phone_numbers p on p.id = f.phone_number_id
           left join lateral (
             select o.unique_id, o.otp_hash, o.otp_salt, o.expires_at, o.status, o.is_active
             from ecliptix.otp_records o
             where o.flow_unique_id = f.unique_id and o.is_active and not o.is_deleted
               and o.expires_at > ecliptix_internal.now()
             order by o.created_at desc, o.id desc
             limit 1
           ) o on true
           where f.unique_id = $1 and not f.is_deleted`,
    types: ['uuid'],
    args: (s) => [lit(s.flow_uid, 'uuid')],
  },
  {
    query: "deactivate the flow's active OTPs",
    by: 'insert_otp_record',
    table: 'otp_records',
    indexes: ['ix_otp_records_flow_created'],
    sql: `update ecliptix.otp_records o set is_active = false
           where o.flow_unique_id = $1 and o.is_active and not o.is_deleted`,
    types: ['uuid'],
    args: (s) => [lit(s.flow_uid, 'uuid')],
  },
  {
    query: "the flow's latest OTP (resend cooldown)",
    by: 'request_resend_otp, insert_otp_record',
    table: 'otp_records',
    indexes: ['ix_otp_records_flow_created'],
    sql: 'select max(o.created_at) from ecliptix.otp_records o where o.flow_unique_id = $1 and not o.is_deleted',
    types: ['uuid'],
    args: (s) => [lit(s.flow_uid, 'uuid')],
  },
  {
    query: 'active OTP by unique_id',
    by: 'update_otp_status',
    table: 'otp_records',
    indexes: ['otp_records_unique_id_key'],
    sql: 'select o.flow_unique_id from ecliptix.otp_records o where o.unique_id = $1 and not o.is_deleted',
    types: ['uuid'],
    args: (s) => [lit(s.otp_uid, 'uuid')],
  },
  {
    query: "expire the flow's pending OTPs",
    by: 'expire_associated_otp',
    table: 'otp_records',
    indexes: ['ix_otp_records_flow_created'],
    sql: `update ecliptix.otp_records o set status = 'expired', is_active = false
           where o.flow_unique_id = $1 and o.status = 'pending' and not o.is_deleted`,
    types: ['uuid'],
    args: (s) => [lit(s.flow_uid, 'uuid')],
  },
  {
    query: 'OTP of the flow',
    by: 'create_membership',
    table: 'otp_records',
    indexes: ['otp_records_unique_id_key', 'ix_otp_records_flow_created'],
    sql: `select exists (select 1 from ecliptix.otp_records o
           where o.unique_id = $1 and o.flow_unique_id = $2 and not o.is_deleted)`,
    types: ['uuid', 'uuid'],
    args: (s) => [lit(s.otp_uid, 'uuid'), lit(s.flow_uid, 'uuid')],
  },
  // --- failed_otp_attempts ---------------------------------------------------
  {
    query: 'failed OTP checks of the flow',
    by: 'update_otp_status',
    table: 'failed_otp_attempts',
    indexes: ['ix_failed_otp_attempts_flow_unique_id'],
    sql: 'select count(*) from ecliptix.failed_otp_attempts a where a.flow_unique_id = $1 and not a.is_deleted',
    types: ['uuid'],
    args: (s) => [lit(s.flow_uid, 'uuid')],
  },
  // The number's guessing budget across its flows (ecliptix_internal.otp_checks_blocked_until).
  {
    query: 'failed OTP checks of the phone in otp_check_window',
    by: 'update_otp_status (ecliptix_internal.otp_checks_blocked_until)',
    table: 'failed_otp_attempts',
    indexes: ['ix_failed_otp_attempts_phone_time'],
    sql: 'select count(*) from ecliptix.failed_otp_attempts a where a.phone_number_id = $1 and a.attempt_time > $2 - $3',
    types: ['bigint', 'timestamptz', 'interval'],
    args: (s) => [lit(s.phone_id, 'bigint'), 'now()', lit('1 hour', 'interval')],
  },
  {
    query: 'the failed check whose ageing out lifts the per-phone budget',
    by: 'update_otp_status (ecliptix_internal.otp_checks_blocked_until)',
    table: 'failed_otp_attempts',
    indexes: ['ix_failed_otp_attempts_phone_time'],
    sql: `select a.attempt_time from ecliptix.failed_otp_attempts a
           where a.phone_number_id = $1 and a.attempt_time > $2 - $3
           order by a.attempt_time offset $4 limit 1`,
    types: ['bigint', 'timestamptz', 'interval', 'int'],
    args: (s) => [lit(s.phone_id, 'bigint'), 'now()', lit('1 hour', 'interval'), '0'],
  },
  {
    query: "the phone's failed checks since its last verified flow (up to the limit)",
    by: 'update_otp_status (ecliptix_internal.otp_checks_blocked_until)',
    table: 'failed_otp_attempts',
    indexes: ['ix_failed_otp_attempts_phone_time'],
    sql: `select count(*) from (select 1 from ecliptix.failed_otp_attempts a
           where a.phone_number_id = $1 and a.attempt_time > coalesce($2, '-infinity') limit $3) recent`,
    types: ['bigint', 'timestamptz', 'int'],
    args: (s) => [lit(s.phone_id, 'bigint'), 'NULL::timestamptz', '100'],
  },
  {
    query: "the phone's latest failed check",
    by: 'update_otp_status (ecliptix_internal.otp_checks_blocked_until)',
    table: 'failed_otp_attempts',
    indexes: ['ix_failed_otp_attempts_phone_time'],
    sql: 'select max(a.attempt_time) from ecliptix.failed_otp_attempts a where a.phone_number_id = $1',
    types: ['bigint'],
    args: (s) => [lit(s.phone_id, 'bigint')],
  },
  {
    query: "the phone's latest verified code (resets the consecutive failures)",
    by: 'update_otp_status (ecliptix_internal.otp_checks_blocked_until)',
    table: 'otp_records',
    // V017: the FK index (no index has status, so that verifying a code is a HOT update).
    indexes: ['ix_otp_records_phone_number_id'],
    sql: `select max(o.updated_at) from ecliptix.otp_records o
           where o.phone_number_id = $1 and o.status = 'verified'`,
    types: ['bigint'],
    args: (s) => [lit(s.phone_id, 'bigint')],
  },
  // --- memberships -----------------------------------------------------------
  {
    query: 'active membership of (phone, device)',
    by: 'create_membership',
    table: 'memberships',
    indexes: ['ux_memberships_phone_device_active', 'ix_memberships_phone_number_id', 'ix_memberships_app_device_id'],
    sql: `select m.unique_id, m.status, m.creation_status from ecliptix.memberships m
           where m.phone_number_id = $1 and m.app_device_id = $2 and not m.is_deleted`,
    types: ['uuid', 'uuid'],
    args: (s) => [lit(s.phone_uid, 'uuid'), lit(s.device_uid, 'uuid')],
  },
  {
    query: "the active membership's phone (for its limit guard)",
    by: 'update_membership_secure_key',
    table: 'memberships',
    indexes: ['memberships_unique_id_key'],
    sql: `select p.id from ecliptix.memberships m
           join ecliptix.phone_numbers p on p.unique_id = m.phone_number_id
           where m.unique_id = $1 and not m.is_deleted`,
    types: ['uuid'],
    args: (s) => [lit(s.membership_uid, 'uuid')],
  },
  {
    query: 'active membership by unique_id, locked',
    by: 'update_membership_secure_key',
    table: 'memberships',
    indexes: ['memberships_unique_id_key'],
    sql: `select m.id, m.phone_number_id, m.app_device_id, m.verification_flow_id, m.status,
                 m.creation_status, m.secure_key is not null as has_key
           from ecliptix.memberships m
           where m.unique_id = $1 and not m.is_deleted for update`,
    types: ['uuid'],
    args: (s) => [lit(s.membership_uid, 'uuid')],
  },
  {
    query: 'the membership to sign in with, by phone_number',
    by: 'login_membership',
    table: 'memberships',
    indexes: ['ux_memberships_phone_device_active', 'ix_memberships_phone_number_id'],
    sql: `select m.unique_id, m.status, m.secure_key
           from ecliptix.phone_numbers p
           join ecliptix.memberships m on m.phone_number_id = p.unique_id and not m.is_deleted
           where p.phone_number = $1 and not p.is_deleted
           order by (m.status = 'active' and m.secure_key is not null) desc, m.created_at desc, m.id desc
           limit 1`,
    types: ['varchar'],
    args: (s) => [lit(s.phone, 'varchar')],
  },
  {
    query: 'the membership judged for recovery, by phone_number (the region selects nothing)',
    by: 'verify_phone_for_secret_key_recovery',
    table: 'memberships',
    indexes: ['ux_memberships_phone_device_active', 'ix_memberships_phone_number_id'],
    sql: `select p.unique_id, m.unique_id is not null, m.status, m.secure_key
           from ecliptix.phone_numbers p
           left join ecliptix.memberships m on m.phone_number_id = p.unique_id and not m.is_deleted
           where p.phone_number = $1 and not p.is_deleted
           order by (m.unique_id is not null) desc,
                    coalesce(m.status = 'active' and m.secure_key is not null, false) desc,
                    m.created_at desc nulls last, p.created_at desc
           limit 1`,
    types: ['varchar'],
    args: (s) => [lit(s.phone, 'varchar')],
  },
  // --- membership_attempts ---------------------------------------------------
  {
    query: 'failed membership attempts of the phone in membership_attempt_window',
    by: 'create_membership, update_membership_secure_key (ecliptix_internal.membership_attempts_blocked_until)',
    table: 'membership_attempts',
    indexes: ['ix_membership_attempts_phone_attempted'],
    sql: `select count(*) from ecliptix.membership_attempts a
           where a.phone_number_id = $1 and not a.is_success and a.attempted_at > $2 - $3`,
    types: ['uuid', 'timestamptz', 'interval'],
    args: (s) => [lit(s.phone_uid, 'uuid'), 'now()', lit('1 hour', 'interval')],
  },
  {
    query: 'the failure whose ageing out lifts the membership rate limit',
    by: 'create_membership, update_membership_secure_key (ecliptix_internal.membership_attempts_blocked_until)',
    table: 'membership_attempts',
    indexes: ['ix_membership_attempts_phone_attempted'],
    sql: `select a.attempted_at from ecliptix.membership_attempts a
           where a.phone_number_id = $1 and not a.is_success and a.attempted_at > $2 - $3
           order by a.attempted_at offset $4 limit 1`,
    types: ['uuid', 'timestamptz', 'interval', 'int'],
    args: (s) => [lit(s.phone_uid, 'uuid'), 'now()', lit('1 hour', 'interval'), '0'],
  },
  // --- login_attempts (login_membership and log_login_attempt record attempts
  //     through ecliptix_internal.note_call_while_locked / record_login_attempt /
  //     unconfirmed_key_releases) -------------------------------------------
  {
    query: "the phone's running lockout (a call while locked is counted on its row)",
    by: 'login_membership, log_login_attempt (ecliptix_internal.note_call_while_locked)',
    table: 'login_attempts',
    indexes: ['ix_login_attempts_phone_lockouts', 'ix_login_attempts_phone_attempted'],
    sql: `select l.id from ecliptix.login_attempts l
           where l.phone_number = $1 and l.locked_until > $2
           order by l.locked_until desc, l.id desc
           limit 1`,
    types: ['varchar', 'timestamptz'],
    args: (s) => [lit(s.phone, 'varchar'), 'now()'],
  },
  {
    query: "the phone's latest lockout",
    by: 'login_membership, log_login_attempt (ecliptix_internal.record_login_attempt)',
    table: 'login_attempts',
    indexes: ['ix_login_attempts_phone_lockouts', 'ix_login_attempts_phone_attempted'],
    sql: `select max(a.locked_until) from ecliptix.login_attempts a
           where a.phone_number = $1 and a.locked_until is not null`,
    types: ['varchar'],
    args: (s) => [lit(s.phone, 'varchar')],
  },
  {
    query: "the phone's failed logins in login_attempt_window (key releases are no failures)",
    by: 'login_membership, log_login_attempt (ecliptix_internal.record_login_attempt)',
    table: 'login_attempts',
    indexes: ['ix_login_attempts_phone_attempted'],
    sql: `select count(*) from ecliptix.login_attempts a
           where a.phone_number = $1 and not a.is_success and a.outcome <> 'key_released'
             and a.attempted_at > $2 - ecliptix_internal.setting_interval('login_attempt_window')
             and a.attempted_at >= coalesce($3, '-infinity')
             and (a.attempted_at, a.id) > (coalesce($4, '-infinity'), coalesce($5, 0))`,
    types: ['varchar', 'timestamptz', 'timestamptz', 'timestamptz', 'bigint'],
    args: (s) => [lit(s.phone, 'varchar'), 'now()', 'NULL::timestamptz', 'NULL::timestamptz', 'NULL::bigint'],
  },
  {
    query: "the phone's unconfirmed key releases in key_release_window",
    by: 'login_membership, log_login_attempt (ecliptix_internal.unconfirmed_key_releases)',
    table: 'login_attempts',
    indexes: ['ix_login_attempts_phone_attempted'],
    sql: `select count(*)::int from ecliptix.login_attempts a
           where a.phone_number = $1 and a.outcome = 'key_released' and not a.is_success
             and a.attempted_at > $2 - ecliptix_internal.setting_interval('key_release_window')
             and a.attempted_at >= coalesce((select max(s.attempted_at) from ecliptix.login_attempts s
                                              where s.phone_number = $1 and s.is_success), '-infinity')`,
    types: ['varchar', 'timestamptz'],
    args: (s) => [lit(s.phone, 'varchar'), 'now()'],
  },
  {
    query: "the phone's last successful login",
    by: 'login_membership, log_login_attempt (ecliptix_internal.record_login_attempt)',
    table: 'login_attempts',
    indexes: ['ix_login_attempts_phone_success', 'ix_login_attempts_phone_attempted'],
    sql: `select a.attempted_at, a.id from ecliptix.login_attempts a
           where a.phone_number = $1 and a.is_success
           order by a.attempted_at desc, a.id desc limit 1`,
    types: ['varchar'],
    args: (s) => [lit(s.phone, 'varchar')],
  },
  {
    query: "the phone's lockouts since its last success",
    by: 'login_membership, log_login_attempt (ecliptix_internal.record_login_attempt)',
    table: 'login_attempts',
    indexes: ['ix_login_attempts_phone_lockouts', 'ix_login_attempts_phone_attempted'],
    sql: `select count(*) from ecliptix.login_attempts a
           where a.phone_number = $1 and a.locked_until is not null
             and (a.attempted_at, a.id) > (coalesce($2, '-infinity'), coalesce($3, 0))`,
    types: ['varchar', 'timestamptz', 'bigint'],
    args: (s) => [lit(s.phone, 'varchar'), 'NULL::timestamptz', 'NULL::bigint'],
  },
  // --- retention clean-up: the statements the clean-up runs ------------------
  ...cleanupCases(),
];

const INDEX_SCANS = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan']);

interface Loaded {
  target: TestDatabase;
  db: Database;
  sample: Sample;
  /** index name -> table name, for the ecliptix schema */
  indexTable: Map<string, string>;
  tables: Set<string>;
}

/** One loaded database per engine, created on first use. */
const loaded = new Map<Engine, Promise<Loaded>>();

function load(engine: Engine): Promise<Loaded> {
  let promise = loaded.get(engine);
  if (!promise) {
    promise = (async () => {
      const target = await createTestDatabase(engine, { withSchema: true });
      const db = await target.open({ maxConnections: 1 });
      await db.exec(bulkLoadSql());
      const { rows } = await db.query<Sample>(`
        SELECT p.id AS phone_id, p.unique_id AS phone_uid, p.phone_number AS phone, p.region,
               d.unique_id AS device_uid, d.device_id, f.unique_id AS flow_uid, o.unique_id AS otp_uid,
               m.unique_id AS membership_uid
          FROM ecliptix.phone_numbers p
          JOIN ecliptix.app_devices d ON d.id = p.id
          JOIN ecliptix.verification_flows f ON f.phone_number_id = p.id
          JOIN ecliptix.otp_records o ON o.flow_unique_id = f.unique_id
          JOIN ecliptix.memberships m ON m.verification_flow_id = f.unique_id
         WHERE p.id = 50001`);
      const indexes = await db.query<{ index: string; table: string }>(`
        SELECT ic.relname AS index, tc.relname AS table
          FROM pg_index i
          JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_class tc ON tc.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = tc.relnamespace
         WHERE n.nspname = 'ecliptix'`);
      return {
        target,
        db,
        sample: rows[0]!,
        indexTable: new Map(indexes.rows.map((r) => [r.index, r.table] as const)),
        tables: new Set(indexes.rows.map((r) => r.table)),
      };
    })();
    promise.catch(() => undefined); // reported by the describe that awaits it
    loaded.set(engine, promise);
  }
  return promise;
}

/**
 * The server's database first, then PGlite's: PGlite runs SQL synchronously in this process, and while it
 * bulk-loads it blocks the event loop, so a server connection being opened meanwhile hits its connect timeout.
 */
function loadInOrder(engine: Engine): Promise<Loaded> {
  return engine === 'postgres'
    ? load('postgres')
    : load('postgres').then(
        () => load(engine),
        () => load(engine),
      );
}
beforeAll(() => {
  void loadInOrder('pglite');
});
afterAll(async () => {
  for (const promise of loaded.values()) {
    const result = await promise.catch(() => undefined);
    if (!result) continue;
    await result.db.close().catch(() => undefined);
    await result.target.drop();
  }
});

describe.each(engines)('hot queries use indexes on 100,000-row tables (%s)', (engine) => {
  let db: Database;
  let sample: Sample;
  let indexTable: Map<string, string>;
  let tables: Set<string>;

  beforeAll(async () => {
    ({ db, sample, indexTable, tables } = await loadInOrder(engine));
  });

  it('the tables hold 100,000 rows each and the sample rows exist', async () => {
    for (const table of tables) {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ecliptix.${table}`);
      expect(rows[0]!.n, table).toBe(100_000);
    }
    expect(tables.size).toBe(10);
    expect(sample.flow_uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  async function explain(c: PlanCase, mode: Mode, name: string): Promise<PlanNode[]> {
    return db.withSession(async (session) => {
      await session.query(`SET plan_cache_mode = ${mode === 'generic' ? 'force_generic_plan' : 'force_custom_plan'}`);
      const sql = typeof c.sql === 'function' ? c.sql() : c.sql;
      await session.query(`PREPARE ${name}${c.types.length > 0 ? `(${c.types.join(', ')})` : ''} AS ${sql}`);
      try {
        const { rows } = await session.query<{ 'QUERY PLAN': unknown }>(
          `EXPLAIN (FORMAT JSON) EXECUTE ${name}(${c.args(sample).join(', ')})`,
        );
        const raw = rows[0]!['QUERY PLAN'];
        const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
        return planNodes(parsed[0]!.Plan);
      } finally {
        await session.query(`DEALLOCATE ${name}`);
        await session.query('RESET plan_cache_mode');
      }
    });
  }

  it.each(cases.map((c, i) => [`${c.table}: ${c.query} (${c.by}) via ${c.indexes.join(' or ')}`, { ...c, i }] as const))(
    '%s',
    async (_title, c) => {
      const present = c.indexes.filter((index) => indexTable.get(index) === c.table);
      expect(present, `none of ${c.indexes.join(', ')} exists on ${c.table}`).not.toEqual([]);
      for (const mode of c.modes ?? hot) {
        const nodes = await explain(c, mode, `plan_case_${c.i}`);
        const shown = nodes.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']].filter(Boolean).join(' ')).join(' > ');
        const seqScans = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && tables.has(n['Relation Name'] ?? ''));
        const used = nodes.filter((n) => INDEX_SCANS.has(n['Node Type']) && c.indexes.includes(n['Index Name'] ?? ''));
        if (c.seqScanAllowed && seqScans.every((n) => n['Relation Name'] === c.table) && seqScans.length > 0) continue;
        expect(seqScans, `${mode} plan must not scan an ecliptix table sequentially: ${shown}`).toEqual([]);
        expect(used.length, `${mode} plan must read ${c.table} through ${c.indexes.join(' or ')}: ${shown}`).toBeGreaterThan(0);
      }
    },
  );

  it('every foreign key has an index whose leading columns are its columns (not partial)', async () => {
    const { rows } = await db.query<{ fk: string }>(`
      SELECT c.conrelid::regclass::text || '.' || c.conname AS fk
        FROM pg_constraint c
        JOIN pg_namespace n ON n.oid = c.connamespace
       WHERE c.contype = 'f' AND n.nspname = 'ecliptix'
         AND NOT EXISTS (
           SELECT 1 FROM pg_index i
            WHERE i.indrelid = c.conrelid AND i.indpred IS NULL
              AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)
       ORDER BY 1`);
    expect(rows.map((r) => r.fk)).toEqual([]);
  });
});
