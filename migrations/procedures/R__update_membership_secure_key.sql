-- R__update_membership_secure_key.sql — procedure ecliptix.update_membership_secure_key.
-- Original (SQL Server): dbo.UpdateMembershipSecureKey.
-- Stores the membership's secure key: sets secure_key, status 'active',
-- creation_status 'secure_key_set', under a lock on the membership row.
-- Outcomes, in order:
--   secure_key_cannot_be_empty  p_secure_key is NULL or empty (nothing written)
--   membership_not_found        no active membership with that unique_id
--   membership_blocked          the membership is blocked; it stays blocked
--                               (logged as a failed membership attempt)
--   updated                     key set (logged as a successful attempt)
-- Returns one row (outcome, membership_unique_id, status, creation_status).
-- Errors: 22004 null membership id.

create or replace function ecliptix.update_membership_secure_key(
  p_membership_unique_id uuid,
  p_secure_key           bytea
)
returns table (outcome text, membership_unique_id uuid, status text, creation_status text)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now    timestamptz := ecliptix_internal.now();
  v_member record;
begin
  perform ecliptix_internal.assert_not_null(p_membership_unique_id, 'p_membership_unique_id');

  if p_secure_key is null or length(p_secure_key) = 0 then
    return query select 'secure_key_cannot_be_empty'::text, null::uuid, null::text, null::text;
    return;
  end if;

  select m.id, m.phone_number_id, m.status, m.creation_status into v_member
  from ecliptix.memberships m
  where m.unique_id = p_membership_unique_id and not m.is_deleted
  for update;

  if not found then
    return query select 'membership_not_found'::text, null::uuid, null::text, null::text;
    return;
  end if;

  if v_member.status = 'blocked' then
    insert into ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success)
    values (v_member.phone_number_id, v_now, 'membership_blocked', false);
    return query select 'membership_blocked'::text, p_membership_unique_id, v_member.status,
                        v_member.creation_status;
    return;
  end if;

  update ecliptix.memberships m
     set secure_key = p_secure_key,
         status = 'active',
         creation_status = 'secure_key_set'
   where m.id = v_member.id;

  insert into ecliptix.membership_attempts (phone_number_id, attempted_at, outcome, is_success)
  values (v_member.phone_number_id, v_now, 'secure_key_set', true);

  return query select 'updated'::text, p_membership_unique_id, 'active'::text, 'secure_key_set'::text;
end;
$$;

revoke all on function ecliptix.update_membership_secure_key(uuid, bytea) from public;
