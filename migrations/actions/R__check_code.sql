-- R__check_code.sql — routine ecliptix.check_code (beside the seed's 36
-- objects; `status` and `verify` list it apart).
-- The user's "here is my code" as one call and one commit: the flow's active
-- code (get_full_flow_state), the check recorded by update_otp_status
-- ('verified' or 'failed': the same limits, outcomes and rows as the
-- routine-level path) and, when a registration flow is verified, its
-- membership created by create_membership in the same transaction.
-- The application never sends the code: p_code_hashes holds the code's hash
-- under each OTP key it has, one per key id ("<key id>$v2$<base64 HMAC>",
-- bound to the flow, src/client/otp.ts). Only the one under the stored hash's
-- key id is compared, so one call is one check whatever the array holds, and
-- the array is refused unless its key ids are distinct: it cannot carry
-- several guesses.
-- Returns one row (outcome, purpose — the flow's, when it was found —,
-- otp_unique_id, membership_outcome, membership_unique_id, membership_status,
-- creation_status, retry_after_seconds):
--   verified                   the code is right: OTP verified, flow verified;
--                              for a registration flow, membership_outcome is
--                              create_membership's outcome (created, or its
--                              refusal) with its columns
--   invalid_code               a wrong code: a failed check is recorded
--   max_failed_checks_reached  a wrong code, the flow's last allowed one
--                              (flow -> failed)
--   too_many_failed_checks     the phone is over its guessing budget: nothing
--                              is checked or written (retry_after_seconds)
--   flow_not_found | flow_not_pending | flow_expired | otp_expired |
--   otp_not_found | already_used
--                              as the client's verifyOtp reports them
--   code_hash_legacy           the stored hash is of the older salted kind
--                              (issued before this routine existed): nothing
--                              is checked or written; check it the two-call
--                              way (get_full_flow_state, update_otp_status)
-- Errors: 22004 null flow or hashes; 22023 hashes not one v2 hash per key id
-- (1 to 16), or none under the stored hash's key id.

create or replace function ecliptix.check_code(
  p_flow_unique_id uuid,
  p_code_hashes    text[],
  p_connection_id  bigint default null
)
returns table (
  outcome              text,
  purpose              text,
  otp_unique_id        uuid,
  membership_outcome   text,
  membership_unique_id uuid,
  membership_status    text,
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
  v_state     record;
  v_candidate text;
  v_update    record;
  v_member    record;
  v_outcome   text;
begin
  perform ecliptix_internal.assert_not_null(p_flow_unique_id, 'p_flow_unique_id');
  perform ecliptix_internal.assert_not_null(p_code_hashes, 'p_code_hashes');
  if coalesce(cardinality(p_code_hashes), 0) not between 1 and 16
     or exists (select 1 from unnest(p_code_hashes) c
                 where c is null or c !~ '^[A-Za-z0-9_.-]{1,32}\$v2\$[A-Za-z0-9+/]{43}=$')
     or (select count(distinct split_part(c, '$', 1)) from unnest(p_code_hashes) c) <> cardinality(p_code_hashes) then
    raise exception 'p_code_hashes must hold 1 to 16 code hashes "<key id>$v2$<base64>", one per key id'
      using errcode = 'invalid_parameter_value';
  end if;

  select s.*, ecliptix_internal.now() as database_now into v_state
  from ecliptix.get_full_flow_state(p_flow_unique_id) s;

  if v_state.flow_unique_id is null then
    v_outcome := 'flow_not_found';
  elsif v_state.status = 'verified' then
    v_outcome := 'already_used';
  elsif v_state.status <> 'pending' then
    v_outcome := 'flow_not_pending';
  elsif v_state.expires_at <= v_state.database_now then
    v_outcome := 'flow_expired';
  elsif v_state.otp_unique_id is null then
    v_outcome := case when v_state.otp_count > 0 then 'otp_expired' else 'otp_not_found' end;
  elsif split_part(v_state.otp_hash, '$', 2) <> 'v2' then
    v_outcome := 'code_hash_legacy';
  end if;
  if v_outcome is not null then
    return query select v_outcome, v_state.purpose::text, null::uuid, null::text, null::uuid, null::text, null::text, null::int;
    return;
  end if;

  select c into v_candidate from unnest(p_code_hashes) c
   where split_part(c, '$', 1) = split_part(v_state.otp_hash, '$', 1);
  if v_candidate is null then
    raise exception 'p_code_hashes has no hash under key id %, which the flow''s code was hashed with',
      split_part(v_state.otp_hash, '$', 1)
      using errcode = 'invalid_parameter_value';
  end if;

  select * into v_update
  from ecliptix.update_otp_status(v_state.otp_unique_id,
                                  case when v_candidate = v_state.otp_hash then 'verified' else 'failed' end) u;

  v_outcome := case v_update.outcome
    when 'updated' then case when v_candidate = v_state.otp_hash then 'verified' else 'invalid_code' end
    when 'max_failed_checks_reached' then 'max_failed_checks_reached'
    when 'too_many_failed_checks' then 'too_many_failed_checks'
    when 'flow_not_found' then 'flow_not_found'
    when 'flow_expired' then 'flow_expired'
    when 'otp_expired' then 'otp_expired'
    when 'otp_not_found' then 'otp_not_found'
    -- Verified or replaced between the read and the write: the code was used once already.
    else 'already_used'
  end;

  if v_outcome = 'verified' and v_state.purpose = 'registration' then
    select * into v_member
    from ecliptix.create_membership(p_flow_unique_id, p_connection_id, v_state.otp_unique_id, 'otp_verified') m;
    return query select v_outcome, v_state.purpose::text, v_state.otp_unique_id, v_member.outcome, v_member.membership_unique_id,
      v_member.status, v_member.creation_status, v_member.retry_after_seconds;
    return;
  end if;

  return query select v_outcome, v_state.purpose::text,
    case when v_outcome in ('verified', 'invalid_code') then v_state.otp_unique_id end,
    null::text, null::uuid, null::text, null::text,
    case when v_outcome = 'too_many_failed_checks' then v_update.retry_after_seconds end;
end;
$$;

revoke all on function ecliptix.check_code(uuid, text[], bigint) from public;
