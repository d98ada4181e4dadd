-- R__otp_check_budget.sql — support function ecliptix_internal.otp_checks_blocked_until
-- (not among the 36 objects).
-- The guessing budget of one phone number across all its flows, used by
-- ecliptix.update_otp_status before it records the result of a check. Each
-- flow allows max_failed_otp_checks_per_flow wrong codes, and a number may
-- start max_flows_per_phone_per_hour flows, so without a per-number budget a
-- number could be guessed at 150 times an hour. Two limits, both settings:
--   * max_failed_otp_checks_per_phone failed checks within otp_check_window;
--   * max_consecutive_failed_otp_checks failed checks since the number's
--     last verified code (the moment it was verified): then checks are
--     refused until
--     consecutive_otp_failure_lockout after the latest failure (NIST SP
--     800-63B 5.2.2: at most 100 consecutive failed attempts). Each failure
--     after that locks again.
-- Returns NULL when a check may go ahead, else the time when one may.
-- The caller holds the phone's limit guard.

create or replace function ecliptix_internal.otp_checks_blocked_until(p_phone_id bigint, p_now timestamptz)
returns timestamptz
language plpgsql
stable
as $$
declare
  v_window        interval := ecliptix_internal.setting_interval('otp_check_window');
  v_max           int := ecliptix_internal.setting_int('max_failed_otp_checks_per_phone');
  v_max_run       int := ecliptix_internal.setting_int('max_consecutive_failed_otp_checks');
  v_failed        int;
  v_oldest        timestamptz;
  v_last_verified timestamptz;
  v_run           int;
  v_latest        timestamptz;
begin
  select count(*) into v_failed
    from ecliptix.failed_otp_attempts a
   where a.phone_number_id = p_phone_id
     and a.attempt_time > p_now - v_window;

  if v_failed >= v_max then
    -- Allowed again when the (v_failed - v_max + 1)-th oldest failure leaves the window.
    select a.attempt_time into v_oldest
      from ecliptix.failed_otp_attempts a
     where a.phone_number_id = p_phone_id
       and a.attempt_time > p_now - v_window
     order by a.attempt_time
    offset v_failed - v_max
     limit 1;
    return v_oldest + v_window;
  end if;

  -- A verified code is final: its updated_at is when it was verified.
  select max(o.updated_at) into v_last_verified
    from ecliptix.otp_records o
   where o.phone_number_id = p_phone_id and o.status = 'verified';

  select count(*) into v_run
    from (select 1
            from ecliptix.failed_otp_attempts a
           where a.phone_number_id = p_phone_id
             and a.attempt_time > coalesce(v_last_verified, '-infinity')
           limit v_max_run) recent;

  if v_run >= v_max_run then
    select max(a.attempt_time) into v_latest
      from ecliptix.failed_otp_attempts a
     where a.phone_number_id = p_phone_id;
    if v_latest + ecliptix_internal.setting_interval('consecutive_otp_failure_lockout') > p_now then
      return v_latest + ecliptix_internal.setting_interval('consecutive_otp_failure_lockout');
    end if;
  end if;

  return null;
end;
$$;

revoke all on function ecliptix_internal.otp_checks_blocked_until(bigint, timestamptz) from public;
