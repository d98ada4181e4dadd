-- R__record_login_attempt.sql — support functions ecliptix_internal.login_lock_until
-- and ecliptix_internal.record_login_attempt (not among the 36 objects).
-- The one place where login attempts are recorded and lockouts start, shared
-- by ecliptix.login_membership and ecliptix.log_login_attempt, so that a
-- failure reported by the application (a wrong passphrase after the key was
-- released) counts exactly like a failure found by the database.
--
-- Rules (all limits are settings):
--   * A failure starts a lockout when it is the max_failed_logins-th failure
--     within login_attempt_window, counting only failures after the end of
--     the phone's latest lockout. A success does not reset this count: a
--     caller that alternates key releases and wrong passphrases still hits
--     the limit.
--   * Lockouts are progressive: the Nth lockout since the phone's last
--     success lasts lockout_duration(N) (5, 15, 60 minutes by default). A
--     success resets N; no row is ever deleted (audit).
--   * A failure recorded while a lockout runs counts toward nothing.
-- Callers serialise per phone with the same advisory lock taken here.

create or replace function ecliptix_internal.login_lock_until(p_phone_number varchar, p_now timestamptz)
returns timestamptz
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select max(a.locked_until)
    from ecliptix.login_attempts a
   where a.phone_number = p_phone_number
     and a.locked_until > p_now
$$;

create or replace function ecliptix_internal.record_login_attempt(
  p_phone_number varchar,
  p_outcome      varchar,
  p_is_success   boolean,
  p_now          timestamptz
)
returns table (id bigint, locked_until timestamptz)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_success_at   timestamptz;
  v_success_id   bigint;
  v_latest_lock  timestamptz;
  v_lockouts     int;
  v_failed       int;
  v_lock_until   timestamptz;
  v_lock_number  int;
  v_id           bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended('ecliptix.login:' || p_phone_number, 0));

  if not p_is_success then
    select max(a.locked_until) into v_latest_lock
      from ecliptix.login_attempts a
     where a.phone_number = p_phone_number and a.locked_until is not null;

    if v_latest_lock is null or v_latest_lock <= p_now then
      select count(*) into v_failed
        from ecliptix.login_attempts a
       where a.phone_number = p_phone_number
         and not a.is_success
         and a.attempted_at > p_now - ecliptix_internal.setting_interval('login_attempt_window')
         and a.attempted_at >= coalesce(v_latest_lock, '-infinity');

      if v_failed + 1 >= ecliptix_internal.setting_int('max_failed_logins') then
        select a.attempted_at, a.id into v_success_at, v_success_id
          from ecliptix.login_attempts a
         where a.phone_number = p_phone_number and a.is_success
         order by a.attempted_at desc, a.id desc
         limit 1;

        select count(*) into v_lockouts
          from ecliptix.login_attempts a
         where a.phone_number = p_phone_number
           and a.locked_until is not null
           and (a.attempted_at, a.id) > (coalesce(v_success_at, '-infinity'), coalesce(v_success_id, 0));

        v_lock_number := v_lockouts + 1;
        v_lock_until := p_now + ecliptix_internal.lockout_duration(v_lock_number);
      end if;
    end if;
  end if;

  insert into ecliptix.login_attempts as a
    (attempted_at, phone_number, outcome, is_success, locked_until, lockout_number)
  values
    (p_now, p_phone_number, p_outcome, p_is_success, v_lock_until, v_lock_number)
  returning a.id into v_id;

  return query select v_id, v_lock_until;
end;
$$;

revoke all on function ecliptix_internal.login_lock_until(varchar, timestamptz) from public;
revoke all on function ecliptix_internal.record_login_attempt(varchar, varchar, boolean, timestamptz) from public;
