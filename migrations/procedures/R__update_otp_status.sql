-- R__update_otp_status.sql — procedure ecliptix.update_otp_status.
-- Original (SQL Server): dbo.UpdateOtpStatus.
-- Records the result of an OTP check (or another status change) for an OTP
-- of a pending, unexpired flow. Under a lock on the flow row, in order:
--   otp_not_found              no active OTP with that unique_id
--   flow_not_pending           its flow is missing or not pending
--   flow_expired               flow past expires_at (flow -> expired)
--   invalid_status_transition  the OTP is already verified or expired (final
--                              states; this includes expired -> pending)
--   otp_expired                'verified'/'pending' asked for an OTP past its
--                              expires_at (OTP -> expired, inactive)
--   otp_not_active             'verified' asked for an OTP that a newer one
--                              replaced
--   max_failed_attempts_reached  'failed': the check is recorded and the
--                              flow now has max_failed_otp_checks_per_flow
--                              failed checks: flow -> failed, its OTPs inactive
--   updated                    status set. 'failed' records a
--                              failed_otp_attempts row (the OTP stays active,
--                              so the user may try again); 'verified' makes
--                              the OTP inactive and the flow verified, valid
--                              for verified_flow_lifetime; 'expired' makes the
--                              OTP inactive.
-- Returns one row (outcome, success, message); success is true for
-- 'updated' and 'max_failed_attempts_reached' (the status was applied).
-- Errors: 22004 null argument; 22023 unknown status.

create or replace function ecliptix.update_otp_status(
  p_otp_unique_id uuid,
  p_new_status    text
)
returns table (outcome text, success boolean, message text)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now      timestamptz := ecliptix_internal.now();
  v_flow_uid uuid;
  v_flow     record;
  v_otp      record;
  v_failed   int;
  v_max      int;
begin
  perform ecliptix_internal.assert_not_null(p_otp_unique_id, 'p_otp_unique_id');
  perform ecliptix_internal.assert_one_of(p_new_status,
    array['pending', 'verified', 'expired', 'failed'], 'p_new_status');

  select o.flow_unique_id into v_flow_uid
  from ecliptix.otp_records o
  where o.unique_id = p_otp_unique_id and not o.is_deleted;

  if v_flow_uid is null then
    return query select 'otp_not_found'::text, false, 'OTP not found'::text;
    return;
  end if;

  -- Lock the flow first (same order as insert_otp_record), then the OTP.
  select f.id, f.status, f.expires_at into v_flow
  from ecliptix.verification_flows f
  where f.unique_id = v_flow_uid and not f.is_deleted
  for update;

  if not found or v_flow.status <> 'pending' then
    return query select 'flow_not_pending'::text, false, 'the verification flow is not pending'::text;
    return;
  end if;

  if v_flow.expires_at <= v_now then
    update ecliptix.verification_flows f set status = 'expired' where f.id = v_flow.id;
    return query select 'flow_expired'::text, false, 'the verification flow has expired'::text;
    return;
  end if;

  select o.id, o.status, o.expires_at, o.is_active into v_otp
  from ecliptix.otp_records o
  where o.unique_id = p_otp_unique_id
  for update;

  if v_otp.status in ('verified', 'expired') then
    return query select 'invalid_status_transition'::text, false,
      format('an OTP in status %s cannot change to %s', v_otp.status, p_new_status);
    return;
  end if;

  if p_new_status in ('verified', 'pending') and v_otp.expires_at <= v_now then
    update ecliptix.otp_records o set status = 'expired', is_active = false where o.id = v_otp.id;
    return query select 'otp_expired'::text, false, 'the OTP has expired'::text;
    return;
  end if;

  if p_new_status = 'verified' and not v_otp.is_active then
    return query select 'otp_not_active'::text, false, 'the OTP was replaced by a newer one'::text;
    return;
  end if;

  update ecliptix.otp_records o
     set status = p_new_status,
         is_active = case when p_new_status in ('verified', 'expired') then false else o.is_active end
   where o.id = v_otp.id;

  if p_new_status = 'verified' then
    update ecliptix.verification_flows f
       set status = 'verified',
           expires_at = v_now + ecliptix_internal.setting_interval('verified_flow_lifetime')
     where f.id = v_flow.id;
    return query select 'updated'::text, true, 'OTP verified; verification flow verified'::text;
    return;
  end if;

  if p_new_status = 'failed' then
    insert into ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, attempt_time)
    values (p_otp_unique_id, v_flow_uid, v_now);

    select count(*) into v_failed
    from ecliptix.failed_otp_attempts a
    where a.flow_unique_id = v_flow_uid and not a.is_deleted;

    v_max := ecliptix_internal.setting_int('max_failed_otp_checks_per_flow');
    if v_failed >= v_max then
      update ecliptix.verification_flows f set status = 'failed' where f.id = v_flow.id;
      update ecliptix.otp_records o
         set is_active = false
       where o.flow_unique_id = v_flow_uid and o.is_active and not o.is_deleted;
      return query select 'max_failed_attempts_reached'::text, true,
        format('failed check %s of %s; the verification flow has failed', v_failed, v_max);
      return;
    end if;

    return query select 'updated'::text, true,
      format('failed check %s of %s recorded', v_failed, v_max);
    return;
  end if;

  return query select 'updated'::text, true, format('OTP status set to %s', p_new_status);
end;
$$;

revoke all on function ecliptix.update_otp_status(uuid, text) from public;
