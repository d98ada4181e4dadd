-- R__log_login_attempt.sql — procedure ecliptix.log_login_attempt.
-- Original (SQL Server): dbo.LogLoginAttempt.
-- persistor:depends-on record_login_attempt
-- Records a login attempt decided outside the database. login_membership
-- records its own attempts and releases the key; the application then
-- reports what the passphrase did (see ecliptix_internal.record_login_attempt):
--   p_is_success = true   a confirmed sign-in: the passphrase opened a key
--                         that login_membership released for this number
--                         within key_release_window and that no confirmed
--                         sign-in followed yet. Resets the failure count and
--                         the lockout ladder. Without such a release nothing
--                         is written (outcome key_release_not_found): a success
--                         cannot be made up to reset a number's lockouts.
--   p_is_success = false  a failure (e.g. a wrong passphrase), counted like
--                         login_membership's own; it may start a lockout,
--                         which the next login_membership reports as locked.
--                         During a lockout nothing is inserted (outcome
--                         locked; the lockout row's calls_while_locked + 1).
-- Returns one row (outcome, login_attempt_id): logged (the new row's id) |
-- key_release_not_found | locked (login_attempt_id NULL).
-- Errors: 22004 null argument; 22001 phone over 18 / outcome over 255
-- characters; 22023 phone not E.164, blank p_outcome, or p_outcome
-- 'key_released' (reserved: a made-up release would let a made-up
-- confirmation reset the ladder).

-- The result column id became login_attempt_id (the naming convention,
-- migrations/README.md): a function with the old result is dropped first
-- (CREATE OR REPLACE cannot change a result type), and only then.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.log_login_attempt(varchar, varchar, boolean)')
                and pg_catalog.pg_get_function_result(oid) not like '%login_attempt_id%') then
    drop function ecliptix.log_login_attempt(varchar, varchar, boolean);
  end if;
end
$$;

create or replace function ecliptix.log_login_attempt(
  p_phone_number varchar,
  p_outcome      varchar,
  p_is_success   boolean
)
returns table (outcome text, login_attempt_id bigint)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now        timestamptz := ecliptix_internal.now();
  v_id         bigint;
  v_inserted   boolean;
begin
  perform ecliptix_internal.assert_phone_number(p_phone_number, 'p_phone_number');
  perform ecliptix_internal.assert_not_null(p_outcome, 'p_outcome');
  perform ecliptix_internal.assert_max_length(p_outcome, 255, 'p_outcome');
  if btrim(p_outcome) = '' then
    raise exception 'p_outcome must not be blank' using errcode = 'invalid_parameter_value';
  end if;
  perform ecliptix_internal.assert_not_null(p_is_success, 'p_is_success');
  if p_outcome = 'key_released' then
    raise exception 'p_outcome "key_released" is reserved for login_membership''s own key releases'
      using errcode = 'invalid_parameter_value';
  end if;

  perform ecliptix_internal.take_guard('login:' || p_phone_number);

  if p_is_success and ecliptix_internal.unconfirmed_key_releases(p_phone_number, v_now) = 0 then
    return query select 'key_release_not_found'::text, null::bigint;
    return;
  end if;

  select r.login_attempt_id, r.inserted into v_id, v_inserted
    from ecliptix_internal.record_login_attempt(p_phone_number, p_outcome, p_is_success, v_now) r;

  if not v_inserted then
    return query select 'locked'::text, null::bigint;
    return;
  end if;

  return query select 'logged'::text, v_id;
end;
$$;

revoke all on function ecliptix.log_login_attempt(varchar, varchar, boolean) from public;
