-- R__request_resend_otp.sql — procedure ecliptix.request_resend_otp.
-- Original (SQL Server): dbo.RequestResendOtp.
-- Decides whether another OTP may be sent for a flow (it sends nothing; the
-- caller then uses insert_otp_record). Under a lock on the flow row, in order:
--   flow_not_found             no active flow with p_flow_unique_id
--   flow_not_pending           the flow is verified, failed or expired
--   flow_expired               flow past expires_at (flow -> expired)
--   max_otps_reached           otp_count >= max_otps_per_flow (flow -> failed;
--                              a hit and a limit_reached event, R__limit_hits.sql)
--   resend_cooldown_active     the last OTP is younger than otp_resend_cooldown
--                              (retry_after_seconds = time left; a hit counted)
--   resend_allowed
-- Returns one row (outcome, retry_after_seconds).
-- Errors: 22004 null flow id.

create or replace function ecliptix.request_resend_otp(p_flow_unique_id uuid)
returns table (outcome text, retry_after_seconds int)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now      timestamptz := ecliptix_internal.now();
  v_flow     record;
  v_last_otp timestamptz;
  v_ready_at timestamptz;
begin
  perform ecliptix_internal.assert_not_null(p_flow_unique_id, 'p_flow_unique_id');

  select f.id, f.status, f.expires_at, f.otp_count, f.phone_number_id into v_flow
  from ecliptix.verification_flows f
  where f.unique_id = p_flow_unique_id and not f.is_deleted
  for update;

  if not found then
    return query select 'flow_not_found'::text, null::int;
    return;
  end if;

  if v_flow.status <> 'pending' then
    return query select 'flow_not_pending'::text, null::int;
    return;
  end if;

  if v_flow.expires_at <= v_now then
    update ecliptix.verification_flows f set status = 'expired' where f.id = v_flow.id;
    return query select 'flow_expired'::text, null::int;
    return;
  end if;

  if v_flow.otp_count >= ecliptix_internal.setting_int('max_otps_per_flow') then
    update ecliptix.verification_flows f set status = 'failed' where f.id = v_flow.id;
    perform ecliptix_internal.record_limit_hit('otps_per_flow', v_flow.phone_number_id, null, v_now,
      'limit_reached', 'flow_unique_id=' || p_flow_unique_id);
    return query select 'max_otps_reached'::text, null::int;
    return;
  end if;

  select max(o.created_at) into v_last_otp
  from ecliptix.otp_records o
  where o.flow_unique_id = p_flow_unique_id and not o.is_deleted;

  v_ready_at := v_last_otp + ecliptix_internal.setting_interval('otp_resend_cooldown');
  if v_ready_at > v_now then
    perform ecliptix_internal.record_limit_hit('otp_resend_cooldown', v_flow.phone_number_id, null, v_now);
    return query select 'resend_cooldown_active'::text,
                        ceil(extract(epoch from v_ready_at - v_now))::int;
    return;
  end if;

  return query select 'resend_allowed'::text, null::int;
end;
$$;

revoke all on function ecliptix.request_resend_otp(uuid) from public;
