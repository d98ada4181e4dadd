-- R__log_login_attempt.sql — procedure ecliptix.log_login_attempt.
-- Original (SQL Server): dbo.LogLoginAttempt.
-- persistor:depends-on record_login_attempt
-- Appends one row to login_attempts. login_membership records its own
-- attempts, so callers use this for attempts decided outside the database
-- (e.g. a wrong passphrase after a successful login_membership). Such rows
-- count for lockouts exactly like login_membership's (see
-- ecliptix_internal.record_login_attempt): a failure may start a lockout,
-- which the next login_membership reports as locked; a success resets the
-- consecutive-lockout count.
-- Returns one row (outcome, id): logged.
-- Errors: 22004 null argument; 22001 phone over 18 / outcome over 255
-- characters; 22023 phone not E.164.

create or replace function ecliptix.log_login_attempt(
  p_phone_number varchar,
  p_outcome      varchar,
  p_is_success   boolean
)
returns table (outcome text, id bigint)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_id bigint;
begin
  perform ecliptix_internal.assert_phone_number(p_phone_number, 'p_phone_number');
  perform ecliptix_internal.assert_not_null(p_outcome, 'p_outcome');
  perform ecliptix_internal.assert_max_length(p_outcome, 255, 'p_outcome');
  perform ecliptix_internal.assert_not_null(p_is_success, 'p_is_success');

  select r.id into v_id
    from ecliptix_internal.record_login_attempt(p_phone_number, p_outcome, p_is_success, ecliptix_internal.now()) r;

  return query select 'logged'::text, v_id;
end;
$$;

revoke all on function ecliptix.log_login_attempt(varchar, varchar, boolean) from public;
