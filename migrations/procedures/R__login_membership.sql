-- R__login_membership.sql — procedure ecliptix.login_membership.
-- Original (SQL Server): dbo.LoginMembership.
-- Looks up the membership to sign in with a phone number, with lockout.
-- Serialized per phone string by pg_advisory_xact_lock, so that counting
-- failures and starting a lockout is race-free. Outcomes, in order:
--   phone_number_cannot_be_empty  NULL or blank (not recorded)
--   locked                 a lockout of this phone is running:
--                          retry_after_seconds = seconds left (recorded as a
--                          failed attempt, which counts toward nothing)
--   phone_number_not_found no active phone with that number (any region)
--   membership_not_found   no active membership for the phone
--   secure_key_not_set     the chosen membership has no secure key
--   inactive_membership    the chosen membership is inactive or blocked
--                          (membership_unique_id and status are returned)
--   success                + membership_unique_id, status, secure_key
-- The chosen membership is, among the phone's active memberships, an active
-- one with a secure key if any, else the newest.
-- Every call past the empty check is recorded in login_attempts (callers need
-- not call log_login_attempt). Every outcome other than success counts as a
-- failed attempt for the phone string, including an unknown number.
-- Lockout: when max_failed_logins failures fall within login_attempt_window
-- (counting only failures after the last success and after the end of the
-- previous lockout), the failing attempt starts a lockout: its row gets
-- locked_until = now + lockout_duration(n) and lockout_number = n, where n - 1
-- is the number of lockouts since the phone's last success (progressive:
-- 5, 15, 60 minutes by default, capped at the last). That call still returns
-- its own outcome, with retry_after_seconds set; the following calls return
-- locked. A success resets the lockout count; no row is deleted.
-- Errors: 22001 phone over 18 characters; 22023 phone not E.164.

create or replace function ecliptix.login_membership(p_phone_number varchar)
returns table (
  outcome              text,
  membership_unique_id uuid,
  status               text,
  secure_key           bytea,
  retry_after_seconds  int
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now            timestamptz := ecliptix_internal.now();
  v_success_at     timestamptz := '-infinity';
  v_success_id     bigint := 0;
  v_lock_until     timestamptz;
  v_lockouts       int;
  v_failed         int;
  v_member_uid     uuid;
  v_member_status  text;
  v_member_key     bytea;
  v_outcome        text;
  v_new_lock_until timestamptz;
  v_new_lock_no    int;
begin
  if p_phone_number is null or btrim(p_phone_number) = '' then
    return query select 'phone_number_cannot_be_empty'::text, null::uuid, null::text, null::bytea, null::int;
    return;
  end if;
  perform ecliptix_internal.assert_phone_number(p_phone_number, 'p_phone_number');

  perform pg_advisory_xact_lock(hashtextextended('ecliptix.login:' || p_phone_number, 0));

  -- The last success: lockouts and failures before it no longer count.
  select a.attempted_at, a.id into v_success_at, v_success_id
  from ecliptix.login_attempts a
  where a.phone_number = p_phone_number and a.is_success
  order by a.attempted_at desc, a.id desc
  limit 1;
  if not found then
    v_success_at := '-infinity';
    v_success_id := 0;
  end if;

  -- Lockouts since the last success: how many, and when the latest ends.
  select count(*), max(a.locked_until) into v_lockouts, v_lock_until
  from ecliptix.login_attempts a
  where a.phone_number = p_phone_number
    and a.locked_until is not null
    and (a.attempted_at, a.id) > (v_success_at, v_success_id);

  if v_lock_until > v_now then
    insert into ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success)
    values (v_now, p_phone_number, 'locked', false);
    return query select 'locked'::text, null::uuid, null::text, null::bytea,
                        ceil(extract(epoch from v_lock_until - v_now))::int;
    return;
  end if;

  -- Evaluate the login.
  if not exists (select 1 from ecliptix.phone_numbers p
                 where p.phone_number = p_phone_number and not p.is_deleted) then
    v_outcome := 'phone_number_not_found';
  else
    select m.unique_id, m.status, m.secure_key into v_member_uid, v_member_status, v_member_key
    from ecliptix.phone_numbers p
    join ecliptix.memberships m on m.phone_number_id = p.unique_id and not m.is_deleted
    where p.phone_number = p_phone_number and not p.is_deleted
    order by (m.status = 'active' and m.secure_key is not null) desc, m.created_at desc, m.id desc
    limit 1;

    if not found then
      v_outcome := 'membership_not_found';
    elsif v_member_key is null then
      v_outcome := 'secure_key_not_set';
    elsif v_member_status <> 'active' then
      v_outcome := 'inactive_membership';
    else
      v_outcome := 'success';
    end if;
  end if;

  if v_outcome = 'success' then
    insert into ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success)
    values (v_now, p_phone_number, 'success', true);
    return query select 'success'::text, v_member_uid, v_member_status, v_member_key, null::int;
    return;
  end if;

  -- A failure: does it start a lockout? Count earlier failures in the window,
  -- after the last success and after the previous lockout ended.
  select count(*) into v_failed
  from ecliptix.login_attempts a
  where a.phone_number = p_phone_number
    and not a.is_success
    and a.attempted_at > v_now - ecliptix_internal.setting_interval('login_attempt_window')
    and (a.attempted_at, a.id) > (v_success_at, v_success_id)
    and a.attempted_at >= coalesce(v_lock_until, '-infinity');
  v_failed := v_failed + 1;   -- this attempt

  if v_failed >= ecliptix_internal.setting_int('max_failed_logins') then
    v_new_lock_no := v_lockouts + 1;
    v_new_lock_until := v_now + ecliptix_internal.lockout_duration(v_new_lock_no);
  end if;

  insert into ecliptix.login_attempts
    (attempted_at, phone_number, outcome, is_success, locked_until, lockout_number)
  values
    (v_now, p_phone_number, v_outcome, false, v_new_lock_until, v_new_lock_no);

  return query select v_outcome,
    case when v_outcome in ('secure_key_not_set', 'inactive_membership') then v_member_uid end,
    case when v_outcome in ('secure_key_not_set', 'inactive_membership') then v_member_status end,
    null::bytea,
    ceil(extract(epoch from v_new_lock_until - v_now))::int;
end;
$$;

revoke all on function ecliptix.login_membership(varchar) from public;
