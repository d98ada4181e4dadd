-- R__verify_phone_for_secret_key_recovery.sql — procedure ecliptix.verify_phone_for_secret_key_recovery.
-- Original (SQL Server): dbo.VerifyPhoneForSecretKeyRecovery.
-- Read-only check whether the phone may recover its secret key. Matches the
-- active phone p_phone_number (one per number; p_region is checked but
-- no longer selects anything, since a number has one identity whatever its
-- region). Among its active memberships it judges the preferred one (active
-- with a secure key first, then the newest — the same choice as
-- login_membership). Returns one row (outcome, phone_unique_id):
--   phone_number_not_found | membership_not_found | membership_blocked |
--   secure_key_not_set | eligible_for_recovery
-- phone_unique_id is set only for eligible_for_recovery: a refusal discloses
-- no identifier.
-- Errors: 22004 null phone; 22001 over length; 22023 malformed phone/region.

create or replace function ecliptix.verify_phone_for_secret_key_recovery(
  p_phone_number varchar,
  p_region       varchar default null
)
returns table (outcome text, phone_unique_id uuid)
language plpgsql
stable
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_phone_uid  uuid;
  v_found      boolean;
  v_status     text;
  v_secure_key bytea;
begin
  perform ecliptix_internal.assert_phone_number(p_phone_number, 'p_phone_number');
  perform ecliptix_internal.assert_region(p_region, 'p_region');

  select p.unique_id, m.unique_id is not null, m.status, m.secure_key
    into v_phone_uid, v_found, v_status, v_secure_key
  from ecliptix.phone_numbers p
  left join ecliptix.memberships m
    on m.phone_number_id = p.unique_id and not m.is_deleted
  where p.phone_number = p_phone_number
    and not p.is_deleted
  order by (m.unique_id is not null) desc,
           coalesce(m.status = 'active' and m.secure_key is not null, false) desc,
           m.created_at desc nulls last, p.created_at desc
  limit 1;

  if v_phone_uid is null then
    return query select 'phone_number_not_found'::text, null::uuid;
  elsif not v_found then
    return query select 'membership_not_found'::text, null::uuid;
  elsif v_status = 'blocked' then
    return query select 'membership_blocked'::text, null::uuid;
  elsif v_secure_key is null then
    return query select 'secure_key_not_set'::text, null::uuid;
  else
    return query select 'eligible_for_recovery'::text, v_phone_uid;
  end if;
end;
$$;

revoke all on function ecliptix.verify_phone_for_secret_key_recovery(varchar, varchar) from public;
