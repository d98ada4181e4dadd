-- R__record_login_attempt.sql — support functions ecliptix_internal.note_call_while_locked,
-- ecliptix_internal.record_login_attempt and ecliptix_internal.unconfirmed_key_releases
-- (not among the 36 objects).
-- The one place where login attempts are recorded and lockouts start, shared
-- by ecliptix.login_membership and ecliptix.log_login_attempt, so that a
-- failure reported by the application (a wrong passphrase after the key was
-- released) counts exactly like a failure found by the database.
--
-- Three kinds of row (login_attempts.outcome / is_success):
--   * a key release: login_membership handed out the secure key
--     (outcome 'key_released', is_success false). It is not a sign-in: only
--     the application knows whether the passphrase opened the key. It counts
--     toward max_key_releases_per_window, not toward failures;
--   * a confirmed sign-in: the application reports, through
--     log_login_attempt(..., true), that the passphrase opened a released key
--     (is_success true). Only this resets the failure count and the ladder;
--   * a failure: everything else.
--
-- Rules (all limits are settings):
--   * A failure starts a lockout when it is the max_failed_logins-th failure
--     within login_attempt_window, counting only failures after the end of
--     the number's latest lockout and after its latest confirmed sign-in.
--   * Lockouts are progressive: the Nth lockout since the number's last
--     confirmed sign-in lasts lockout_duration(N) (5, 15, 60 minutes by
--     default). A key release does not reset N.
--   * A failure while a lockout runs inserts nothing: it adds one to the
--     lockout row's calls_while_locked (so a caller hammering a locked number
--     cannot grow the table), and counts toward nothing but the hourly
--     login_lockout hits (ecliptix_internal.limit_hits, no row per call).
--   * The failure that starts a lockout counts a failed_logins hit and writes
--     a lockout_started event (R__limit_hits.sql), never the number.
-- Callers take the number's limit guard, 'login:<number>' (V014), before they
-- call it — so counting is exact at every isolation level (or the call fails
-- with 40001) — and it does not take it again: a second update of the guard row
-- in the same transaction would only write another row version.

drop function if exists ecliptix_internal.login_lock_until(varchar, timestamptz);
-- record_login_attempt's result gained "inserted", and both functions' id
-- became login_attempt_id (the naming convention, migrations/README.md):
-- CREATE OR REPLACE cannot change a result type, so a function with an older
-- result is dropped first, and only then.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix_internal.record_login_attempt(varchar, varchar, boolean, timestamptz)')
                and pg_catalog.pg_get_function_result(oid) not like '%login_attempt_id%') then
    drop function ecliptix_internal.record_login_attempt(varchar, varchar, boolean, timestamptz);
  end if;
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix_internal.note_call_while_locked(varchar, timestamptz)')
                and pg_catalog.pg_get_function_result(oid) not like '%login_attempt_id%') then
    drop function ecliptix_internal.note_call_while_locked(varchar, timestamptz);
  end if;
end
$$;

-- When a lockout of this number runs at p_now: counts the call on the
-- lockout's row (calls_while_locked + 1) and returns that row; else no row.
create or replace function ecliptix_internal.note_call_while_locked(p_phone_number varchar, p_now timestamptz)
returns table (login_attempt_id bigint, locked_until timestamptz)
language plpgsql
volatile
as $$
#variable_conflict use_column
begin
  return query
  update ecliptix.login_attempts a
     set calls_while_locked = a.calls_while_locked + 1
   where a.id = (select l.id
                   from ecliptix.login_attempts l
                  where l.phone_number = p_phone_number
                    and l.locked_until > p_now
                  order by l.locked_until desc, l.id desc
                  limit 1)
  returning a.id, a.locked_until;
  if found then
    perform ecliptix_internal.record_limit_hit('login_lockout', null, p_phone_number, p_now);
  end if;
end;
$$;

create or replace function ecliptix_internal.record_login_attempt(
  p_phone_number varchar,
  p_outcome      varchar,
  p_is_success   boolean,
  p_now          timestamptz
)
returns table (login_attempt_id bigint, locked_until timestamptz, inserted boolean)
language plpgsql
volatile
as $$
#variable_conflict use_column
declare
  v_is_failure   boolean := not p_is_success and p_outcome <> 'key_released';
  v_running      record;
  v_success_at   timestamptz;
  v_success_id   bigint;
  v_latest_lock  timestamptz;
  v_lockouts     int;
  v_failed       int;
  v_lock_until   timestamptz;
  v_lock_number  int;
  v_id           bigint;
begin
  if v_is_failure then
    select l.login_attempt_id, l.locked_until into v_running
      from ecliptix_internal.note_call_while_locked(p_phone_number, p_now) l;

    if v_running.login_attempt_id is not null then
      return query select v_running.login_attempt_id, v_running.locked_until, false;
      return;
    end if;

    select a.attempted_at, a.id into v_success_at, v_success_id
      from ecliptix.login_attempts a
     where a.phone_number = p_phone_number and a.is_success
     order by a.attempted_at desc, a.id desc
     limit 1;

    select max(a.locked_until) into v_latest_lock
      from ecliptix.login_attempts a
     where a.phone_number = p_phone_number and a.locked_until is not null;

    select count(*) into v_failed
      from ecliptix.login_attempts a
     where a.phone_number = p_phone_number
       and not a.is_success
       and a.outcome <> 'key_released'
       and a.attempted_at > p_now - ecliptix_internal.setting_interval('login_attempt_window')
       and a.attempted_at >= coalesce(v_latest_lock, '-infinity')
       and (a.attempted_at, a.id) > (coalesce(v_success_at, '-infinity'), coalesce(v_success_id, 0));

    if v_failed + 1 >= ecliptix_internal.setting_int('max_failed_logins') then
      select count(*) into v_lockouts
        from ecliptix.login_attempts a
       where a.phone_number = p_phone_number
         and a.locked_until is not null
         and (a.attempted_at, a.id) > (coalesce(v_success_at, '-infinity'), coalesce(v_success_id, 0));

      v_lock_number := v_lockouts + 1;
      v_lock_until := p_now + ecliptix_internal.lockout_duration(v_lock_number);
    end if;
  end if;

  insert into ecliptix.login_attempts as a
    (attempted_at, phone_number, outcome, is_success, locked_until, lockout_number)
  values
    (p_now, p_phone_number, p_outcome, p_is_success, v_lock_until, v_lock_number)
  returning a.id into v_id;

  if v_lock_until is not null then
    perform ecliptix_internal.record_limit_hit('failed_logins', null, p_phone_number, p_now, 'lockout_started',
      pg_catalog.format('lockout_number=%s locked_until=%s login_attempt_id=%s', v_lock_number,
        pg_catalog.to_char(v_lock_until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), v_id));
  end if;

  return query select v_id, v_lock_until, true;
end;
$$;

-- Key releases of this number since its latest confirmed sign-in, within key_release_window.
create or replace function ecliptix_internal.unconfirmed_key_releases(p_phone_number varchar, p_now timestamptz)
returns int
language plpgsql
stable
as $$
begin
  return (
  with confirmed as (
    select s.attempted_at, s.id
      from ecliptix.login_attempts s
     where s.phone_number = p_phone_number and s.is_success
     order by s.attempted_at desc, s.id desc
     limit 1
  )
  select count(*)::int
    from ecliptix.login_attempts a
   where a.phone_number = p_phone_number
     and a.outcome = 'key_released'
     and not a.is_success
     and a.attempted_at > p_now - ecliptix_internal.setting_interval('key_release_window')
     -- (time, id): a release and its confirmation in one transaction share a time.
     and (a.attempted_at, a.id) > coalesce((select (c.attempted_at, c.id) from confirmed c), ('-infinity'::timestamptz, 0::bigint))
  );
end;
$$;

revoke all on function ecliptix_internal.note_call_while_locked(varchar, timestamptz) from public;
revoke all on function ecliptix_internal.record_login_attempt(varchar, varchar, boolean, timestamptz) from public;
revoke all on function ecliptix_internal.unconfirmed_key_releases(varchar, timestamptz) from public;
