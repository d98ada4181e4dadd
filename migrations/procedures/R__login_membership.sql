-- R__login_membership.sql — procedure ecliptix.login_membership.
-- Original (SQL Server): dbo.LoginMembership.
-- Looks up the membership to sign in with a phone number, with lockout, and
-- releases its secure key. Holds the number's limit guard 'login:<number>'
-- (V014), so that counting failures and starting a lockout is exact at every
-- isolation level. Outcomes, in order:
--   locked                 a lockout of this number is running:
--                          retry_after_seconds = seconds left. Nothing is
--                          inserted: the lockout row's calls_while_locked
--                          goes up by one, and so does the hour's
--                          login_lockout counter (R__limit_hits.sql)
--   phone_number_not_found no active phone with that number
--   membership_not_found   no active membership for the phone
--   secure_key_not_set     the chosen membership has no secure key
--   membership_blocked     the chosen membership is blocked
--   membership_inactive    the chosen membership is inactive
--   too_many_key_releases  the key was released max_key_releases_per_window
--                          times within key_release_window without a
--                          confirmed sign-in (log_login_attempt success)
--   success                + membership_unique_id, status, secure_key:
--                          recorded as a key release ('key_released'), which
--                          is not a sign-in: the application confirms one
--                          with log_login_attempt(number, outcome, true) once
--                          the passphrase opened the key, and reports a wrong
--                          passphrase with log_login_attempt(..., false)
-- Every refusal returns no identifier (membership_unique_id and status are
-- NULL): the original returned the membership id for secure_key_not_set and
-- an inactive membership, which update_membership_secure_key then accepted.
-- The chosen membership is, among the phone's active memberships, an active
-- one with a secure key if any, else the newest.
-- persistor:depends-on record_login_attempt
-- Every outcome other than success and locked is a failure
-- recorded through ecliptix_internal.record_login_attempt; the failure that
-- reaches max_failed_logins within login_attempt_window starts a lockout
-- (progressive: 5, 15, 60 minutes by default) and still returns its own
-- outcome, with retry_after_seconds set; the following calls return locked.
-- Only a confirmed sign-in resets the failure count and the ladder; no row is
-- deleted.
-- Errors (bad input is never an outcome, and is not recorded): 22004 NULL
-- phone; 22001 phone over 18 characters; 22023 phone blank or not E.164.

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
  v_now           timestamptz := ecliptix_internal.now();
  v_lock_until    timestamptz;
  v_running       record;
  v_member_uid    uuid;
  v_member_status text;
  v_member_key    bytea;
  v_outcome       text;
begin
  perform ecliptix_internal.assert_phone_number(p_phone_number, 'p_phone_number');

  -- Serialise per number; record_login_attempt relies on this guard.
  perform ecliptix_internal.take_guard('login:' || p_phone_number);

  select l.login_attempt_id, l.locked_until into v_running
    from ecliptix_internal.note_call_while_locked(p_phone_number, v_now) l;
  if v_running.login_attempt_id is not null then
    return query select 'locked'::text, null::uuid, null::text, null::bytea,
                        greatest(1, ceil(extract(epoch from v_running.locked_until - v_now)))::int;
    return;
  end if;

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
    elsif v_member_status = 'blocked' then
      v_outcome := 'membership_blocked';
    elsif v_member_status <> 'active' then
      v_outcome := 'membership_inactive';
    elsif ecliptix_internal.unconfirmed_key_releases(p_phone_number, v_now)
            >= ecliptix_internal.setting_int('max_key_releases_per_window') then
      v_outcome := 'too_many_key_releases';
    else
      v_outcome := 'success';
    end if;
  end if;

  if v_outcome = 'success' then
    perform ecliptix_internal.record_login_attempt(p_phone_number, 'key_released', false, v_now);
    return query select 'success'::text, v_member_uid, v_member_status, v_member_key, null::int;
    return;
  end if;

  if v_outcome = 'too_many_key_releases' then
    perform ecliptix_internal.record_limit_hit('key_releases', null, p_phone_number, v_now, 'limit_refused', null,
      v_now + ecliptix_internal.setting_interval('key_release_window'));
  end if;

  select r.locked_until into v_lock_until
    from ecliptix_internal.record_login_attempt(p_phone_number, v_outcome, false, v_now) r;

  return query select v_outcome, null::uuid, null::text, null::bytea,
    ceil(extract(epoch from v_lock_until - v_now))::int;
end;
$$;

revoke all on function ecliptix.login_membership(varchar) from public;
