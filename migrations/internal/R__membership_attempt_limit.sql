-- R__membership_attempt_limit.sql — support function ecliptix_internal.membership_attempts_blocked_until
-- (not among the 36 objects).
-- The failed-membership-attempt limit of a phone, shared by
-- ecliptix.create_membership and ecliptix.update_membership_secure_key: at
-- most max_failed_membership_attempts failures within
-- membership_attempt_window. Returns NULL when an attempt may go ahead, else
-- when one may: when the (failures - max + 1)-th oldest failure leaves the
-- window. The caller holds the phone's limit guard.

-- Its argument p_phone_uid became p_phone_unique_id (the naming convention,
-- migrations/README.md); CREATE OR REPLACE cannot rename an argument, so the
-- function with the old name is dropped first, and only then.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix_internal.membership_attempts_blocked_until(uuid, timestamptz)')
                and 'p_phone_uid' = any (proargnames)) then
    drop function ecliptix_internal.membership_attempts_blocked_until(uuid, timestamptz);
  end if;
end
$$;

create or replace function ecliptix_internal.membership_attempts_blocked_until(p_phone_unique_id uuid, p_now timestamptz)
returns timestamptz
language plpgsql
stable
as $$
declare
  v_max    int := ecliptix_internal.setting_int('max_failed_membership_attempts');
  v_window interval := ecliptix_internal.setting_interval('membership_attempt_window');
  v_failed int;
  v_oldest timestamptz;
begin
  select count(*) into v_failed
    from ecliptix.membership_attempts a
   where a.phone_number_id = p_phone_unique_id
     and not a.is_success
     and a.attempted_at > p_now - v_window;

  if v_failed < v_max then
    return null;
  end if;

  select a.attempted_at into v_oldest
    from ecliptix.membership_attempts a
   where a.phone_number_id = p_phone_unique_id
     and not a.is_success
     and a.attempted_at > p_now - v_window
   order by a.attempted_at
  offset v_failed - v_max
   limit 1;
  return v_oldest + v_window;
end;
$$;

revoke all on function ecliptix_internal.membership_attempts_blocked_until(uuid, timestamptz) from public;
