-- R__start_verification.sql — routine ecliptix.start_verification (beside the
-- seed's 36 objects; `status` and `verify` list it apart).
-- The user's "send me a code" as one call and one commit: ensure_phone_number
-- (the phone, and the device's link to it), initiate_verification_flow (start
-- or resume the flow of this device, phone and purpose) and, for a new flow,
-- insert_otp_record (the code's hash) — the same routines the routine-level
-- path calls, so every limit, outcome and row written is theirs.
-- The new flow takes the proposed identifier (on a cluster's partition, with
-- the partition's first 16 bits: ecliptix_internal.proposed_unique_id): the
-- application proposes a random uuid and hashes the code bound to its last
-- 112 bits before the call. initiate_verification_flow's body is shared
-- (ecliptix_internal.start_flow), so the flow's limits and outcomes are its.
-- Returns one row (outcome, the flow's state — never a code's hash —,
-- retry_after_seconds):
--   code_issued            a new flow, its code stored
--   flow_pending           the device already has a pending flow for this
--                          phone and purpose (its state is returned); no code
--                          was stored: issue one for it (insert_otp_record)
--   flow_verified          a verified, unexpired flow exists (returned)
--   app_device_not_found   no active device p_app_device_id (the phone is
--                          kept, as ensure_phone_number keeps it)
--   rate_limit_exceeded    initiate_verification_flow's per-phone limit
--                          (retry_after_seconds)
--   any refusal of insert_otp_record, by its name, with the new flow (which
--                          stays, without a code)
-- Errors: those of the three routines (22004, 22001, 22023), all checked
-- before any write (the code's hash, salt and expiry as insert_otp_record
-- checks them); 22004 null proposal; 23505 a proposal that is an existing
-- flow's identifier (nothing is written).

create or replace function ecliptix.start_verification(
  p_phone_number      varchar,
  p_region            varchar,
  p_app_device_id     uuid,
  p_purpose           text,
  p_connection_id     bigint,
  p_flow_id_proposal  uuid,
  p_otp_hash          text,
  p_otp_salt          text,
  p_otp_expires_at    timestamptz
)
returns table (
  outcome             text,
  flow_unique_id      uuid,
  phone_unique_id     uuid,
  app_device_id       uuid,
  connection_id       bigint,
  expires_at          timestamptz,
  status              text,
  purpose             text,
  otp_count           smallint,
  otp_unique_id       uuid,
  otp_expires_at      timestamptz,
  otp_status          text,
  retry_after_seconds int
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_phone  record;
  v_flow   record;
  v_otp    record;
begin
  perform ecliptix_internal.assert_not_null(p_app_device_id, 'p_app_device_id');
  perform ecliptix_internal.assert_not_null(p_flow_id_proposal, 'p_flow_id_proposal');
  perform ecliptix_internal.assert_one_of(p_purpose,
    array['unspecified', 'registration', 'login', 'password_recovery', 'update_phone'], 'p_purpose');
  -- insert_otp_record's checks of the code, here before any write (it runs only for a new flow).
  perform ecliptix_internal.assert_otp_code(p_otp_hash, p_otp_salt, p_otp_expires_at, 'p_otp_expires_at');

  select e.outcome, e.phone_unique_id into v_phone
  from ecliptix.ensure_phone_number(p_phone_number, p_region, p_app_device_id) e;
  if v_phone.phone_unique_id is null then
    return query select 'app_device_not_found'::text, null::uuid, null::uuid, null::uuid, null::bigint,
      null::timestamptz, null::text, null::text, null::smallint, null::uuid, null::timestamptz, null::text, null::int;
    return;
  end if;

  select * into v_flow
  from ecliptix_internal.start_flow(p_app_device_id, v_phone.phone_unique_id, p_purpose, p_connection_id, p_flow_id_proposal) i;

  if v_flow.outcome = 'created' then
    select * into v_otp
    from ecliptix.insert_otp_record(v_flow.flow_unique_id, p_otp_hash, p_otp_salt, p_otp_expires_at, 'pending') r;
    if v_otp.outcome <> 'created' then
      -- The flow was created and stays (as with initiate_verification_flow then insert_otp_record); it has no code.
      return query select v_otp.outcome, v_flow.flow_unique_id, v_flow.phone_unique_id, v_flow.app_device_id,
        v_flow.connection_id, v_flow.expires_at, v_flow.status, v_flow.purpose, v_flow.otp_count,
        null::uuid, null::timestamptz, null::text, v_otp.retry_after_seconds;
      return;
    end if;
    return query select 'code_issued'::text, v_flow.flow_unique_id, v_flow.phone_unique_id, v_flow.app_device_id,
      v_flow.connection_id, v_flow.expires_at, v_flow.status, v_flow.purpose, (v_flow.otp_count + 1)::smallint,
      v_otp.otp_unique_id, p_otp_expires_at, 'pending'::text, null::int;
    return;
  end if;

  if v_flow.outcome in ('retrieved', 'verified') then
    return query select case v_flow.outcome when 'retrieved' then 'flow_pending' else 'flow_verified' end,
      v_flow.flow_unique_id, v_flow.phone_unique_id, v_flow.app_device_id, v_flow.connection_id,
      v_flow.expires_at, v_flow.status, v_flow.purpose, v_flow.otp_count, v_flow.otp_unique_id,
      v_flow.otp_expires_at, v_flow.otp_status, null::int;
    return;
  end if;

  return query select v_flow.outcome, null::uuid, null::uuid, null::uuid, null::bigint,
    null::timestamptz, null::text, null::text, null::smallint, null::uuid, null::timestamptz, null::text, v_flow.retry_after_seconds;
end;
$$;

revoke all on function ecliptix.start_verification(varchar, varchar, uuid, text, bigint, uuid, text, text, timestamptz) from public;
