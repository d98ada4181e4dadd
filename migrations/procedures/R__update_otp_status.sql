-- R__update_otp_status.sql — procedure ecliptix.update_otp_status.
-- Original (SQL Server): dbo.UpdateOtpStatus.
-- Records the result of an OTP check (or another status change) for an OTP
-- of a pending, unexpired flow. Holding the phone's limit guard (V014), then
-- a lock on the flow row, in order:
--   otp_not_found              no active OTP with that unique_id
--   flow_not_found             its flow is no longer active (soft-deleted)
--   flow_not_pending           its flow is verified, failed or expired
--   flow_expired               flow past expires_at (flow -> expired)
--   too_many_failed_checks     'verified' or 'failed' (the result of a check)
--                              while the phone number is over its guessing
--                              budget across all its flows: it had
--                              max_failed_otp_checks_per_phone failed checks
--                              within otp_check_window, or
--                              max_consecutive_failed_otp_checks failed
--                              checks since its last verified flow and the
--                              latest of them is younger than
--                              consecutive_otp_failure_lockout. Nothing is
--                              written but the limit's hit (and the event of
--                              its episode's first refusal: R__limit_hits.sql);
--                              a right code is refused too, so the
--                              refusal tells nothing about the code.
--                              retry_after_seconds = when a check is allowed.
--   invalid_status_transition  the OTP is already verified or expired (final
--                              states; this includes expired -> pending)
--   otp_expired                'verified'/'pending' asked for an OTP past its
--                              expires_at (OTP -> expired, inactive)
--   otp_not_active             'verified' asked for an OTP that a newer one
--                              replaced
--   max_failed_checks_reached  'failed': the check is recorded and the
--                              flow now has max_failed_otp_checks_per_flow
--                              failed checks: flow -> failed, its OTPs
--                              inactive; a hit and a limit_reached event
--   updated                    status set. 'failed' records a
--                              failed_otp_attempts row (the OTP stays active,
--                              so the user may try again); 'verified' makes
--                              the OTP inactive and the flow verified, valid
--                              for verified_flow_lifetime; 'expired' makes the
--                              OTP inactive.
-- Returns one row (outcome, success, message, retry_after_seconds); success
-- is true for 'updated' and 'max_failed_checks_reached' (the status was
-- applied).
-- Errors: 22004 null argument; 22023 unknown status.

-- The result gained retry_after_seconds: a function with the old result is
-- dropped first (CREATE OR REPLACE cannot change a result type).
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.update_otp_status(uuid, text)')
                and pg_catalog.pg_get_function_result(oid) not like '%retry_after_seconds%') then
    drop function ecliptix.update_otp_status(uuid, text);
  end if;
end
$$;

create or replace function ecliptix.update_otp_status(
  p_otp_unique_id uuid,
  p_new_status    text
)
returns table (outcome text, success boolean, message text, retry_after_seconds int)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now      timestamptz := ecliptix_internal.now();
  v_flow_uid uuid;
  v_phone_id bigint;
  v_flow     record;
  v_retry_at timestamptz;
  v_otp      record;
  v_failed   int;
  v_max      int;
begin
  perform ecliptix_internal.assert_not_null(p_otp_unique_id, 'p_otp_unique_id');
  perform ecliptix_internal.assert_one_of(p_new_status,
    array['pending', 'verified', 'expired', 'failed'], 'p_new_status');

  select o.flow_unique_id, o.phone_number_id into v_flow_uid, v_phone_id
  from ecliptix.otp_records o
  where o.unique_id = p_otp_unique_id and not o.is_deleted;

  if v_flow_uid is null then
    return query select 'otp_not_found'::text, false, 'OTP not found'::text, null::int;
    return;
  end if;

  -- Lock order: the phone's guard, then the flow, then the OTP.
  perform ecliptix_internal.take_guard('phone:' || v_phone_id);
  select f.id, f.status, f.expires_at into v_flow
  from ecliptix.verification_flows f
  where f.unique_id = v_flow_uid and not f.is_deleted
  for update;

  if not found then
    return query select 'flow_not_found'::text, false, 'the verification flow was not found'::text, null::int;
    return;
  end if;

  if v_flow.status <> 'pending' then
    return query select 'flow_not_pending'::text, false, 'the verification flow is not pending'::text, null::int;
    return;
  end if;

  if v_flow.expires_at <= v_now then
    update ecliptix.verification_flows f set status = 'expired' where f.id = v_flow.id;
    return query select 'flow_expired'::text, false, 'the verification flow has expired'::text, null::int;
    return;
  end if;

  if p_new_status in ('verified', 'failed') then
    v_retry_at := ecliptix_internal.otp_checks_blocked_until(v_phone_id, v_now);
    if v_retry_at is not null then
      -- Which of the number's two budgets refused: the one the window counts first.
      perform ecliptix_internal.record_limit_hit(
        case when (select count(*) from ecliptix.failed_otp_attempts a
                    where a.phone_number_id = v_phone_id
                      and a.attempt_time > v_now - ecliptix_internal.setting_interval('otp_check_window'))
                  >= ecliptix_internal.setting_int('max_failed_otp_checks_per_phone')
             then 'failed_otp_checks_per_phone' else 'consecutive_failed_otp_checks' end,
        v_phone_id, null, v_now, 'limit_refused', null, v_retry_at);
      return query select 'too_many_failed_checks'::text, false,
        'too many failed OTP checks for this phone number'::text,
        greatest(1, ceil(extract(epoch from v_retry_at - v_now)))::int;
      return;
    end if;
  end if;

  select o.id, o.status, o.expires_at, o.is_active into v_otp
  from ecliptix.otp_records o
  where o.unique_id = p_otp_unique_id
  for update;

  if v_otp.status in ('verified', 'expired') then
    return query select 'invalid_status_transition'::text, false,
      format('an OTP in status %s cannot change to %s', v_otp.status, p_new_status), null::int;
    return;
  end if;

  if p_new_status in ('verified', 'pending') and v_otp.expires_at <= v_now then
    update ecliptix.otp_records o set status = 'expired', is_active = false where o.id = v_otp.id;
    return query select 'otp_expired'::text, false, 'the OTP has expired'::text, null::int;
    return;
  end if;

  if p_new_status = 'verified' and not v_otp.is_active then
    return query select 'otp_not_active'::text, false, 'the OTP was replaced by a newer one'::text, null::int;
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
    return query select 'updated'::text, true, 'OTP verified; verification flow verified'::text, null::int;
    return;
  end if;

  if p_new_status = 'failed' then
    insert into ecliptix.failed_otp_attempts (otp_unique_id, flow_unique_id, phone_number_id, attempt_time)
    values (p_otp_unique_id, v_flow_uid, v_phone_id, v_now);

    select count(*) into v_failed
    from ecliptix.failed_otp_attempts a
    where a.flow_unique_id = v_flow_uid and not a.is_deleted;

    v_max := ecliptix_internal.setting_int('max_failed_otp_checks_per_flow');
    if v_failed >= v_max then
      update ecliptix.verification_flows f set status = 'failed' where f.id = v_flow.id;
      update ecliptix.otp_records o
         set is_active = false
       where o.flow_unique_id = v_flow_uid and o.is_active and not o.is_deleted;
      perform ecliptix_internal.record_limit_hit('failed_otp_checks_per_flow', v_phone_id, null, v_now,
        'limit_reached', 'flow_unique_id=' || v_flow_uid);
      return query select 'max_failed_checks_reached'::text, true,
        format('failed check %s of %s; the verification flow has failed', v_failed, v_max), null::int;
      return;
    end if;

    return query select 'updated'::text, true,
      format('failed check %s of %s recorded', v_failed, v_max), null::int;
    return;
  end if;

  return query select 'updated'::text, true, format('OTP status set to %s', p_new_status), null::int;
end;
$$;

revoke all on function ecliptix.update_otp_status(uuid, text) from public;
