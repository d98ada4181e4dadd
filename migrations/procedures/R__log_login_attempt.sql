-- R__log_login_attempt.sql — procedure ecliptix.log_login_attempt.
-- Original (SQL Server): dbo.LogLoginAttempt.
-- Appends one row to login_attempts (no lockout state). login_membership
-- records its own attempts, so callers use this only for attempts decided
-- outside the database (e.g. a wrong passphrase after a successful
-- login_membership). Such rows count for lockouts like any other: a failure
-- within login_attempt_window counts toward max_failed_logins; a success
-- resets the consecutive-lockout count.
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

  insert into ecliptix.login_attempts as a (attempted_at, phone_number, outcome, is_success)
  values (ecliptix_internal.now(), p_phone_number, p_outcome, p_is_success)
  returning a.id into v_id;

  return query select 'logged'::text, v_id;
end;
$$;

revoke all on function ecliptix.log_login_attempt(varchar, varchar, boolean) from public;
