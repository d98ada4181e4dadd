-- R__create_membership.sql — procedure ecliptix.create_membership.
-- Original (SQL Server): dbo.CreateMembership.
-- persistor:depends-on membership_attempt_limit
-- Creates the membership of a verified registration flow's phone and device.
-- Takes the flow's phone's limit guard (V014), then locks the flow row (same
-- order as initiate_verification_flow), then, in order:
--   flow_not_found             no active flow with p_flow_unique_id
--   rate_limit_exceeded        the phone has max_failed_membership_attempts
--                              failed attempts within membership_attempt_window
--                              (retry_after_seconds = seconds until one ages
--                              out); not logged as an attempt, so retrying
--                              does not extend it (counted as a limit hit:
--                              R__limit_hits.sql)
--   connection_mismatch        flow.connection_id IS DISTINCT FROM p_connection_id
--   invalid_flow_purpose       the flow's purpose is not 'registration'
--   flow_not_verified          the flow is not verified (Fix)
--   flow_expired               the verified flow is past expires_at (Fix;
--                              flow -> expired)
--   otp_not_found              p_otp_unique_id is not an OTP of this flow
--   membership_already_exists  an active membership of (phone, device)
--                              exists (nothing of it is returned: a refusal
--                              discloses no identifier)
--   created                    an active membership with p_creation_status;
--                              the OTP becomes inactive
-- Every outcome after rate_limit_exceeded is logged in membership_attempts
-- (created as a success, the others as failures).
-- Returns one row (outcome, membership_unique_id, status, creation_status,
-- retry_after_seconds).
-- Errors: 22004 null flow/OTP id or creation status; 22023 unknown creation
-- status. p_connection_id may be NULL (matches a flow without connection).

-- The result's retry_after_minutes became retry_after_seconds (the naming
-- convention, migrations/README.md: durations in seconds): CREATE OR REPLACE
-- cannot change a result type, so a function with the old result is dropped
-- first, and only then.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.create_membership(uuid, bigint, uuid, text)')
                and pg_catalog.pg_get_function_result(oid) not like '%retry_after_seconds%') then
    drop function ecliptix.create_membership(uuid, bigint, uuid, text);
  end if;
end
$$;

create or replace function ecliptix.create_membership(
  p_flow_unique_id  uuid,
  p_connection_id   bigint,
  p_otp_unique_id   uuid,
  p_creation_status text default 'otp_verified'
)
returns table (
  outcome              text,
  membership_unique_id uuid,
  status               text,
  creation_status      text,
  retry_after_seconds  int
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now       timestamptz := ecliptix_internal.now();
  v_phone_id  bigint;
  v_phone_uid uuid;
  v_flow      record;
  v_member    record;
  v_retry_at  timestamptz;
  v_outcome   text;
begin
  perform ecliptix_internal.assert_not_null(p_flow_unique_id, 'p_flow_unique_id');
  perform ecliptix_internal.assert_not_null(p_otp_unique_id, 'p_otp_unique_id');
  perform ecliptix_internal.assert_one_of(p_creation_status,
    array['otp_verified', 'secure_key_set', 'passphrase_set'], 'p_creation_status');

  select f.phone_number_id into v_phone_id
  from ecliptix.verification_flows f
  where f.unique_id = p_flow_unique_id and not f.is_deleted;

  if v_phone_id is null then
    return query select 'flow_not_found'::text, null::uuid, null::text, null::text, null::int;
    return;
  end if;

  -- Lock order: the phone's guard, then the flow.
  perform ecliptix_internal.take_guard('phone:' || v_phone_id);

  select p.unique_id into v_phone_uid
  from ecliptix.phone_numbers p
  where p.id = v_phone_id;

  select f.id, f.app_device_id, f.connection_id, f.purpose, f.status, f.expires_at into v_flow
  from ecliptix.verification_flows f
  where f.unique_id = p_flow_unique_id and not f.is_deleted
  for update;

  if not found then   -- soft-deleted meanwhile
    return query select 'flow_not_found'::text, null::uuid, null::text, null::text, null::int;
    return;
  end if;

  -- Rate limit on failed attempts of this phone.
  v_retry_at := ecliptix_internal.membership_attempts_blocked_until(v_phone_uid, v_now);
  if v_retry_at is not null then
    perform ecliptix_internal.record_limit_hit('membership_attempts', v_phone_id, null, v_now,
      'limit_refused', null, v_retry_at);
    return query select 'rate_limit_exceeded'::text, null::uuid, null::text, null::text,
      greatest(1, ceil(extract(epoch from v_retry_at - v_now)))::int;
    return;
  end if;

  if v_flow.connection_id is distinct from p_connection_id then
    v_outcome := 'connection_mismatch';
  elsif v_flow.purpose <> 'registration' then
    v_outcome := 'invalid_flow_purpose';
  elsif v_flow.status <> 'verified' then
    v_outcome := 'flow_not_verified';
  elsif v_flow.expires_at <= v_now then
    update ecliptix.verification_flows f set status = 'expired' where f.id = v_flow.id;
    v_outcome := 'flow_expired';
  elsif not exists (select 1 from ecliptix.otp_records o
                    where o.unique_id = p_otp_unique_id
                      and o.flow_unique_id = p_flow_unique_id
                      and not o.is_deleted) then
    v_outcome := 'otp_not_found';
  end if;

  if v_outcome is not null then
    insert into ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success)
    values (v_phone_uid, v_now, v_outcome, false);
    return query select v_outcome, null::uuid, null::text, null::text, null::int;
    return;
  end if;

  select m.unique_id, m.status, m.creation_status into v_member
  from ecliptix.memberships m
  where m.phone_number_id = v_phone_uid
    and m.app_device_id = v_flow.app_device_id
    and not m.is_deleted;

  if found then
    insert into ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success)
    values (v_phone_uid, v_now, 'membership_already_exists', false);
    return query select 'membership_already_exists'::text, null::uuid, null::text, null::text, null::int;
    return;
  end if;

  insert into ecliptix.memberships as m
    (phone_number_id, app_device_id, verification_flow_id, status, creation_status)
  values
    (v_phone_uid, v_flow.app_device_id, p_flow_unique_id, 'active', p_creation_status)
  returning m.unique_id, m.status, m.creation_status into v_member;

  update ecliptix.otp_records o
     set is_active = false
   where o.unique_id = p_otp_unique_id and o.is_active;

  insert into ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success)
  values (v_phone_uid, v_now, 'created', true);

  return query select 'created'::text, v_member.unique_id, v_member.status,
                      v_member.creation_status, null::int;
end;
$$;

revoke all on function ecliptix.create_membership(uuid, bigint, uuid, text) from public;
