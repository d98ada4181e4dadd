-- R__insert_otp_record.sql — procedure ecliptix.insert_otp_record.
-- Original (SQL Server): dbo.InsertOtpRecord.
-- Stores a new OTP (hash and salt as text, encoded by the application; never
-- the plain code) for a pending, unexpired flow. Under a lock on the flow row:
--   flow_not_found             no active flow with p_flow_unique_id
--   flow_not_pending           the flow is verified, failed or expired
--   flow_expired               flow past expires_at (flow -> expired)
--   max_otps_reached           the flow already has max_otps_per_flow OTPs
--                              (flow -> failed; a hit and a limit_reached
--                              event, R__limit_hits.sql)
--   resend_cooldown_active     the flow's last OTP is younger than
--                              otp_resend_cooldown (retry_after_seconds = time
--                              left). Checked here, under the flow lock, for
--                              every code including the first, so parallel
--                              calls cannot send several codes at once
--                              (a hit of otp_resend_cooldown is counted)
--   created                    earlier active OTPs of the flow become
--                              inactive, the OTP is inserted, otp_count + 1
-- Returns one row (outcome, otp_unique_id, retry_after_seconds).
-- Every budget this routine spends is on the flow row it locks and updates,
-- so under REPEATABLE READ / SERIALIZABLE a caller with an older snapshot gets
-- 40001 from the lock rather than counting stale rows.
-- Errors: 22004 null argument; 22001 hash over 512 or salt over 255
-- characters; 22023 empty or blank hash/salt, unknown status, an expiry that is not
-- a finite time or is more than a day after the database clock (an OTP
-- lives seconds to minutes; 'infinity' would make a code valid for ever).

-- The result gained retry_after_seconds: a function with the old result is
-- dropped first (CREATE OR REPLACE cannot change a result type).
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.insert_otp_record(uuid, text, text, timestamptz, text)')
                and pg_catalog.pg_get_function_result(oid) not like '%retry_after_seconds%') then
    drop function ecliptix.insert_otp_record(uuid, text, text, timestamptz, text);
  end if;
end
$$;

create or replace function ecliptix.insert_otp_record(
  p_flow_unique_id uuid,
  p_otp_hash       text,
  p_otp_salt       text,
  p_expires_at     timestamptz,
  p_status         text default 'pending'
)
returns table (outcome text, otp_unique_id uuid, retry_after_seconds int)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now     timestamptz := ecliptix_internal.now();
  v_flow    record;
  v_otp_uid  uuid;
  v_last_otp timestamptz;
  v_ready_at timestamptz;
  v_cooldown interval;
begin
  perform ecliptix_internal.assert_not_null(p_flow_unique_id, 'p_flow_unique_id');
  perform ecliptix_internal.assert_one_of(p_status,
    array['pending', 'verified', 'expired', 'failed'], 'p_status');
  perform ecliptix_internal.assert_otp_code(p_otp_hash, p_otp_salt, p_expires_at, 'p_expires_at');

  select f.id, f.status, f.expires_at, f.otp_count, f.phone_number_id into v_flow
  from ecliptix.verification_flows f
  where f.unique_id = p_flow_unique_id and not f.is_deleted
  for update;

  if not found then
    return query select 'flow_not_found'::text, null::uuid, null::int;
    return;
  end if;

  if v_flow.status <> 'pending' then
    return query select 'flow_not_pending'::text, null::uuid, null::int;
    return;
  end if;

  if v_flow.expires_at <= v_now then
    update ecliptix.verification_flows f set status = 'expired' where f.id = v_flow.id;
    return query select 'flow_expired'::text, null::uuid, null::int;
    return;
  end if;

  if v_flow.otp_count >= ecliptix_internal.setting_int('max_otps_per_flow') then
    update ecliptix.verification_flows f set status = 'failed' where f.id = v_flow.id;
    perform ecliptix_internal.record_limit_hit('otps_per_flow', v_flow.phone_number_id, null, v_now,
      'limit_reached', 'flow_unique_id=' || p_flow_unique_id);
    return query select 'max_otps_reached'::text, null::uuid, null::int;
    return;
  end if;

  select max(o.created_at) into v_last_otp
  from ecliptix.otp_records o
  where o.flow_unique_id = p_flow_unique_id and not o.is_deleted;

  -- A cooldown of 0 turns the check off; otherwise a code newer than this
  -- call's clock (committed while it waited for the lock) is within it too.
  v_cooldown := ecliptix_internal.setting_interval('otp_resend_cooldown');
  v_ready_at := v_last_otp + v_cooldown;
  if v_cooldown > interval '0' and v_ready_at > v_now then
    perform ecliptix_internal.record_limit_hit('otp_resend_cooldown', v_flow.phone_number_id, null, v_now);
    return query select 'resend_cooldown_active'::text, null::uuid,
                        ceil(extract(epoch from v_ready_at - v_now))::int;
    return;
  end if;

  update ecliptix.otp_records o
     set is_active = false
   where o.flow_unique_id = p_flow_unique_id and o.is_active and not o.is_deleted;

  insert into ecliptix.otp_records as o
    (flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active)
  values
    (p_flow_unique_id, v_flow.phone_number_id, p_otp_hash, p_otp_salt, p_expires_at, p_status, true)
  returning o.unique_id into v_otp_uid;

  update ecliptix.verification_flows f
     set otp_count = f.otp_count + 1
   where f.id = v_flow.id;

  return query select 'created'::text, v_otp_uid, null::int;
end;
$$;

revoke all on function ecliptix.insert_otp_record(uuid, text, text, timestamptz, text) from public;
