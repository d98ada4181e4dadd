-- R__log_membership_attempt.sql — procedure ecliptix.log_membership_attempt.
-- Original (SQL Server): dbo.LogMembershipAttempt.
-- Appends one row to membership_attempts for a phone (active or
-- soft-deleted). Failures within membership_attempt_window count toward
-- create_membership's max_failed_membership_attempts, so the row is written
-- holding the phone's limit guard (V014), like create_membership's own.
-- Returns one row (outcome, membership_attempt_unique_id): logged |
-- phone_number_not_found (membership_attempt_unique_id NULL, nothing written).
-- Errors: 22004 null argument; 22001 outcome over 255 characters; 22023 blank
-- outcome.

-- The result column unique_id became membership_attempt_unique_id (the naming
-- convention, migrations/README.md): CREATE OR REPLACE cannot change a result
-- type, so a function with the old result is dropped first, and only then.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.log_membership_attempt(uuid, varchar, boolean)')
                and pg_catalog.pg_get_function_result(oid) not like '%membership_attempt_unique_id%') then
    drop function ecliptix.log_membership_attempt(uuid, varchar, boolean);
  end if;
end
$$;

create or replace function ecliptix.log_membership_attempt(
  p_phone_unique_id uuid,
  p_outcome         varchar,
  p_is_success      boolean
)
returns table (outcome text, membership_attempt_unique_id uuid)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_uid      uuid;
  v_phone_id bigint;
begin
  perform ecliptix_internal.assert_not_null(p_phone_unique_id, 'p_phone_unique_id');
  perform ecliptix_internal.assert_not_null(p_outcome, 'p_outcome');
  perform ecliptix_internal.assert_max_length(p_outcome, 255, 'p_outcome');
  if btrim(p_outcome) = '' then
    raise exception 'p_outcome must not be blank' using errcode = 'invalid_parameter_value';
  end if;
  perform ecliptix_internal.assert_not_null(p_is_success, 'p_is_success');

  select p.id into v_phone_id from ecliptix.phone_numbers p where p.unique_id = p_phone_unique_id;
  if v_phone_id is null then
    return query select 'phone_number_not_found'::text, null::uuid;
    return;
  end if;

  perform ecliptix_internal.take_guard('phone:' || v_phone_id);

  insert into ecliptix.membership_attempts as a (phone_number_id, attempted_at, outcome, is_success)
  values (p_phone_unique_id, ecliptix_internal.now(), p_outcome, p_is_success)
  returning a.unique_id into v_uid;

  return query select 'logged'::text, v_uid;
end;
$$;

revoke all on function ecliptix.log_membership_attempt(uuid, varchar, boolean) from public;
