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
-- persistor:depends-on record_login_attempt
-- Every call past the empty check is recorded in login_attempts through
-- ecliptix_internal.record_login_attempt (callers need not call
-- log_login_attempt). Every outcome other than success counts as a failed
-- attempt for the phone string, including an unknown number; the failure that
-- reaches max_failed_logins within login_attempt_window starts a lockout
-- (progressive: 5, 15, 60 minutes by default) and still returns its own
-- outcome, with retry_after_seconds set; the following calls return locked.
-- A success resets the lockout ladder; no row is deleted.
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
  v_now           timestamptz := ecliptix_internal.now();
  v_lock_until    timestamptz;
  v_member_uid    uuid;
  v_member_status text;
  v_member_key    bytea;
  v_outcome       text;
begin
  if p_phone_number is null or btrim(p_phone_number) = '' then
    return query select 'phone_number_cannot_be_empty'::text, null::uuid, null::text, null::bytea, null::int;
    return;
  end if;
  perform ecliptix_internal.assert_phone_number(p_phone_number, 'p_phone_number');

  -- Serialise per phone (record_login_attempt takes the same lock again).
  perform pg_advisory_xact_lock(hashtextextended('ecliptix.login:' || p_phone_number, 0));

  v_lock_until := ecliptix_internal.login_lock_until(p_phone_number, v_now);
  if v_lock_until is not null then
    insert into ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success)
    values (v_now, p_phone_number, 'locked', false);
    return query select 'locked'::text, null::uuid, null::text, null::bytea,
                        ceil(extract(epoch from v_lock_until - v_now))::int;
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
    elsif v_member_status <> 'active' then
      v_outcome := 'inactive_membership';
    else
      v_outcome := 'success';
    end if;
  end if;

  select r.locked_until into v_lock_until
    from ecliptix_internal.record_login_attempt(p_phone_number, v_outcome, v_outcome = 'success', v_now) r;

  if v_outcome = 'success' then
    return query select 'success'::text, v_member_uid, v_member_status, v_member_key, null::int;
    return;
  end if;

  return query select v_outcome,
    case when v_outcome in ('secure_key_not_set', 'inactive_membership') then v_member_uid end,
    case when v_outcome in ('secure_key_not_set', 'inactive_membership') then v_member_status end,
    null::bytea,
    ceil(extract(epoch from v_lock_until - v_now))::int;
end;
$$;

revoke all on function ecliptix.login_membership(varchar) from public;
