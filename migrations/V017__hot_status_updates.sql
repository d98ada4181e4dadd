-- V017__hot_status_updates.sql — support (none of the 36 objects; indexes,
-- storage parameters and ecliptix_internal.take_guard only).
-- Less WAL per sign-up and a cheaper clean-up (issue 14).
--
-- A journey verified its code with two updates that were not HOT: the OTP
-- (status pending -> verified, is_active true -> false, updated_at) and its
-- flow (status pending -> verified, expires_at, updated_at). status,
-- is_active, expires_at and updated_at were in index keys or partial-index
-- predicates, so each update wrote a new entry into every index of its table
-- (7 + 7 of the journey's 61 index entries), and a soft delete by the clean-up
-- went through 7 and 8 indexes. After this migration no index of
-- verification_flows or otp_records has a column that the routines update
-- (status, is_active, expires_at, otp_count, updated_at) in its key or
-- predicate, so those updates are HOT whenever the page has room, which the
-- fillfactor keeps for them. Only is_deleted (the clean-up's soft delete, once
-- per row) stays in a predicate.
--
-- verification_flows, 7 indexes -> 5:
--   ux_verification_flows_pending_active (app_device_id, phone_number_id, purpose)
--     WHERE status = 'pending' AND NOT is_deleted                      dropped
--     "At most one pending flow per (device, phone, purpose)" is kept by its
--     only writer: initiate_verification_flow creates a flow only after it has
--     taken the phone's guard (take_guard('phone:<id>')) and found no pending
--     flow of that (device, phone, purpose); update_verification_flow_status
--     never makes a flow pending. The guard row is updated by every holder, so
--     under READ COMMITTED the next holder's statements see the flow the
--     previous one created, and under REPEATABLE READ / SERIALIZABLE a holder
--     whose snapshot predates it fails with 40001 (migrations/README.md,
--     "Limits hold at every isolation level").
--   ix_verification_flows_device_phone_purpose (..., status, expires_at)
--     -> (app_device_id, phone_number_id, purpose)                     re-created
--     initiate_verification_flow's lookups; a (device, phone, purpose) has a
--     handful of flows, whose status and expiry are read from the rows. Also
--     the FK app_device_id.
--   ix_verification_flows_status_expires (status, expires_at) WHERE NOT is_deleted,
--   ix_verification_flows_status_created (status, created_at) WHERE NOT is_deleted
--     -> ix_verification_flows_created (created_at) WHERE NOT is_deleted  merged
--     The clean-up walks the rows that are not soft-deleted by creation time
--     (sql/operations/cleanup: abandoned-flows, verification-flows) and
--     status's activity report counts the last day's flows on it.
--   kept: verification_flows_pkey, verification_flows_unique_id_key,
--     ix_verification_flows_phone_created (phone_number_id, created_at).
--
-- otp_records, 8 indexes -> 5:
--   ux_otp_records_flow_active (flow_unique_id) WHERE is_active AND NOT is_deleted
--                                                                       dropped
--     "At most one active OTP per flow" is kept by its only writer:
--     insert_otp_record locks the flow row FOR UPDATE, makes the flow's active
--     OTPs inactive, inserts the new one and updates the flow (otp_count). No
--     update makes an OTP active. The flow lock serialises the writers under
--     READ COMMITTED; under REPEATABLE READ / SERIALIZABLE a writer whose
--     snapshot predates the previous writer's update of the flow fails with
--     40001 when it locks the flow.
--     The flow's active OTP (get_full_flow_state, insert_otp_record,
--     update_otp_status) is found through ix_otp_records_flow_created: a flow
--     has at most max_otps_per_flow OTPs.
--   ix_otp_records_status_expires (status, expires_at) WHERE NOT is_deleted,
--   ix_otp_records_status_created (status, created_at) WHERE NOT is_deleted
--     -> ix_otp_records_created (created_at) WHERE NOT is_deleted        merged
--     The clean-up (expired-otps, finished-flow-otps, otp-records) and the
--     activity report, as for flows.
--   ix_otp_records_phone_verified (phone_number_id, updated_at) WHERE status = 'verified'
--                                                                       dropped
--     otp_checks_blocked_until reads the number's verified codes through
--     ix_otp_records_phone_number_id (the FK index) instead.
--   kept: otp_records_pkey, otp_records_unique_id_key,
--     ix_otp_records_flow_created, ix_otp_records_phone_number_id.
--
-- login_attempts, ix_login_attempts_phone_attempted (phone_number, attempted_at)
--   -> the same WHERE NOT is_success                                    re-created
--   Every query that reads it counts a number's failures or key releases
--   (record_login_attempt, unconfirmed_key_releases: "not is_success"); a
--   number's successes have ix_login_attempts_phone_success. A confirmed
--   sign-in no longer adds an entry to it. (login_attempts has no foreign key.)
--
-- app_devices, ix_app_devices_app_instance_id (app_instance_id)         dropped
--   No routine, clean-up, import or status query looks a device up by its
--   app_instance_id, and it is no foreign key: one entry per device for nothing.
--
-- ecliptix_internal.limit_guards becomes UNLOGGED. A guard row is only what
--   the callers of one key lock and update (take_guard); its contents (version,
--   touched_at) are never read by a routine. After a crash PostgreSQL empties an
--   unlogged table, which loses nothing: no transaction survives the crash, so
--   none holds a snapshot from before a guard's last update, and the next
--   caller inserts the guard again (the state the clean-up leaves a day after a
--   guard's last use). A standby has no guard rows, and needs none: the
--   routines write, so they run on the primary; a promoted standby starts
--   with none, as after a crash. Taking a guard (7 times per sign-up and
--   sign-in) then writes no WAL; row locks and the 40001 of a stale snapshot
--   work on unlogged tables as on any other.
--
-- fillfactor: a flow is updated two or three times within minutes of its
-- insert (otp_count, verified), an OTP once; the free space lets those
-- versions stay on the row's page (HOT) while newer rows fill the table.
--
-- take_guard: updates the guard row first and inserts it only when it is
-- missing. INSERT ... ON CONFLICT DO UPDATE locked the existing row (a WAL
-- record) before updating it (another); a plain UPDATE writes one. The
-- serialisation is the same: the update takes the row lock and, under
-- REPEATABLE READ / SERIALIZABLE, fails with 40001 if a newer version was
-- committed after the snapshot; a key that is missing is inserted as before
-- (ON CONFLICT DO UPDATE, which fails with 40001 likewise). In PL/pgSQL, which
-- keeps the statement's plan: a SQL function called from PL/pgSQL is not
-- inlined, so it planned the statement on each of a sign-up's 6 calls
-- (0.17 ms each).

drop index ecliptix.ux_verification_flows_pending_active;
drop index ecliptix.ix_verification_flows_status_expires;
drop index ecliptix.ix_verification_flows_status_created;
drop index ecliptix.ix_verification_flows_device_phone_purpose;

create index ix_verification_flows_device_phone_purpose
  on ecliptix.verification_flows (app_device_id, phone_number_id, purpose);

create index ix_verification_flows_created
  on ecliptix.verification_flows (created_at) where not is_deleted;

alter table ecliptix.verification_flows set (fillfactor = 75);

drop index ecliptix.ux_otp_records_flow_active;
drop index ecliptix.ix_otp_records_status_expires;
drop index ecliptix.ix_otp_records_status_created;
drop index ecliptix.ix_otp_records_phone_verified;

create index ix_otp_records_created
  on ecliptix.otp_records (created_at) where not is_deleted;

alter table ecliptix.otp_records set (fillfactor = 80);

drop index ecliptix.ix_login_attempts_phone_attempted;
create index ix_login_attempts_phone_attempted
  on ecliptix.login_attempts (phone_number, attempted_at) where not is_success;

drop index ecliptix.ix_app_devices_app_instance_id;

alter table ecliptix_internal.limit_guards set unlogged;

create or replace function ecliptix_internal.take_guard(p_key text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  with taken as (
    update ecliptix_internal.limit_guards g
       set version = g.version + 1, touched_at = pg_catalog.now()
     where g.key = p_key
    returning 1
  )
  insert into ecliptix_internal.limit_guards as g (key)
  select p_key where not exists (select from taken)
  on conflict (key) do update set version = g.version + 1, touched_at = pg_catalog.now();
end;
$$;

revoke all on function ecliptix_internal.take_guard(text) from public;
