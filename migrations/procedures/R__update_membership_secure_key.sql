-- R__update_membership_secure_key.sql — procedure ecliptix.update_membership_secure_key.
-- Original (SQL Server): dbo.UpdateMembershipSecureKey(@MembershipUniqueId, @SecureKey).
-- persistor:depends-on membership_attempt_limit
-- Stores the membership's secure key. Changed against the original API
-- (security fix): setting a key needs proof of the phone, p_flow_unique_id,
-- which must be, for the membership's phone:
--   * the verified, unexpired registration flow that created the membership,
--     while the membership has no key yet (first key), or
--   * a verified, unexpired password_recovery flow of the same phone; it is
--     used up (its expires_at set to now), so it sets one key only.
-- The original needed the membership id alone, and login_membership gave that
-- id to anyone who knew the phone number: the next login released the
-- attacker's key. A key can no longer re-activate an inactive or blocked
-- membership either (the original set status 'active').
-- Holding the phone's limit guard (V014), then a lock on the membership row,
-- in order:
--   membership_not_found        no active membership with that unique_id
--   rate_limit_exceeded         the phone has max_failed_membership_attempts
--                               failed attempts within membership_attempt_window
--                               (retry_after_seconds; not logged as an
--                               attempt, counted as a limit hit)
--   membership_blocked          blocked; stays blocked
--   membership_inactive         inactive; stays inactive
--   invalid_proof               p_flow_unique_id is not a proof as above
--   updated                     key set, creation_status 'secure_key_set'
-- Refusals after rate_limit_exceeded are logged as failed membership
-- attempts (they count toward the rate limit); updated as a success.
-- Returns one row (outcome, membership_unique_id, status, creation_status,
-- retry_after_seconds); membership_unique_id/status only for updated: a
-- refusal discloses no identifier.
-- Errors (raised before anything is read or written): 22004 null membership
-- id, secure key or flow id; 22023 empty secure key.

-- The result's retry_after_minutes became retry_after_seconds (the naming
-- convention, migrations/README.md: durations in seconds): CREATE OR REPLACE
-- cannot change a result type, so a function with the old result is dropped
-- first, and only then.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.update_membership_secure_key(uuid, bytea, uuid)')
                and pg_catalog.pg_get_function_result(oid) not like '%retry_after_seconds%') then
    drop function ecliptix.update_membership_secure_key(uuid, bytea, uuid);
  end if;
end
$$;

-- The original two-argument signature would let a caller skip the proof.
drop function if exists ecliptix.update_membership_secure_key(uuid, bytea);

create or replace function ecliptix.update_membership_secure_key(
  p_membership_unique_id uuid,
  p_secure_key           bytea,
  p_flow_unique_id       uuid
)
returns table (outcome text, membership_unique_id uuid, status text, creation_status text, retry_after_seconds int)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now      timestamptz := ecliptix_internal.now();
  v_member   record;
  v_flow     record;
  v_phone_id bigint;
  v_retry_at  timestamptz;
  v_outcome  text;
begin
  perform ecliptix_internal.assert_not_null(p_membership_unique_id, 'p_membership_unique_id');
  perform ecliptix_internal.assert_not_null(p_secure_key, 'p_secure_key');
  perform ecliptix_internal.assert_not_null(p_flow_unique_id, 'p_flow_unique_id');
  if length(p_secure_key) = 0 then
    raise exception 'p_secure_key must not be empty' using errcode = 'invalid_parameter_value';
  end if;

  select p.id into v_phone_id
  from ecliptix.memberships m
  join ecliptix.phone_numbers p on p.unique_id = m.phone_number_id
  where m.unique_id = p_membership_unique_id and not m.is_deleted;

  if v_phone_id is null then
    return query select 'membership_not_found'::text, null::uuid, null::text, null::text, null::int;
    return;
  end if;

  -- Lock order: the phone's guard, then the membership, then the flow.
  perform ecliptix_internal.take_guard('phone:' || v_phone_id);

  select m.id, m.phone_number_id, m.app_device_id, m.verification_flow_id, m.status,
         m.creation_status, m.secure_key is not null as has_key
    into v_member
  from ecliptix.memberships m
  where m.unique_id = p_membership_unique_id and not m.is_deleted
  for update;

  if not found then   -- soft-deleted meanwhile
    return query select 'membership_not_found'::text, null::uuid, null::text, null::text, null::int;
    return;
  end if;

  v_retry_at := ecliptix_internal.membership_attempts_blocked_until(v_member.phone_number_id, v_now);
  if v_retry_at is not null then
    perform ecliptix_internal.record_limit_hit('membership_attempts', v_phone_id, null, v_now,
      'limit_refused', null, v_retry_at);
    return query select 'rate_limit_exceeded'::text, null::uuid, null::text, null::text,
      greatest(1, ceil(extract(epoch from v_retry_at - v_now)))::int;
    return;
  end if;

  select f.id, f.unique_id, f.phone_number_id, f.purpose, f.status, f.expires_at into v_flow
  from ecliptix.verification_flows f
  where f.unique_id = p_flow_unique_id and not f.is_deleted
  for update;

  if v_member.status = 'blocked' then
    v_outcome := 'membership_blocked';
  elsif v_member.status <> 'active' then
    v_outcome := 'membership_inactive';
  elsif v_flow.id is null
     or v_flow.phone_number_id <> v_phone_id
     or v_flow.status <> 'verified'
     or v_flow.expires_at <= v_now
     or not (   (v_flow.purpose = 'registration'
                 and v_flow.unique_id = v_member.verification_flow_id
                 and not v_member.has_key)
             or v_flow.purpose = 'password_recovery') then
    v_outcome := 'invalid_proof';
  end if;

  if v_outcome is not null then
    insert into ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success)
    values (v_member.phone_number_id, v_now, v_outcome, false);
    return query select v_outcome, null::uuid, null::text, null::text, null::int;
    return;
  end if;

  update ecliptix.memberships m
     set secure_key = p_secure_key,
         creation_status = 'secure_key_set'
   where m.id = v_member.id;

  if v_flow.purpose = 'password_recovery' then
    update ecliptix.verification_flows f set expires_at = v_now where f.id = v_flow.id;
  end if;

  insert into ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success)
  values (v_member.phone_number_id, v_now, 'secure_key_set', true);

  return query select 'updated'::text, p_membership_unique_id, 'active'::text, 'secure_key_set'::text, null::int;
end;
$$;

revoke all on function ecliptix.update_membership_secure_key(uuid, bytea, uuid) from public;
