-- V019__helpers_run_in_their_callers_path.sql — support (none of the 36 objects).
-- Issue 14: a sign-up calls the argument checks, the settings readers and the
-- limit helpers about 130 times. Each had its own SET search_path clause, so
-- every call saved, set and restored search_path and looked up its schemas
-- again (fmgr_security_definer, AtEOXact_GUC: about 1 microsecond a call), and
-- is_known_region, a SQL function with a SET clause, was parsed and planned
-- again on every call (0.2 ms). The readers of integer and interval settings
-- entered an exception block, a subtransaction, on every call.
--
-- Why dropping the clause is safe: these helpers are SECURITY INVOKER, and
-- only the owner can execute them (persistor.apply_roles revokes EXECUTE on
-- every ecliptix_internal routine from PUBLIC and from the application and
-- reporting roles; the one exception, now(), keeps its clause). So they only
-- ever run inside the owner's SECURITY DEFINER routines, whose search_path is
-- pinned to pg_catalog, ecliptix, ecliptix_internal, pg_temp — or in the
-- owner's own sessions. Every name they use is schema-qualified or in
-- pg_catalog. test/security/roles.test.ts checks both conditions on the
-- catalog, and runs the journey as the application role with its own temporary
-- objects shadowing the helpers' names.
--
-- Kept: ecliptix_internal.now() (SECURITY DEFINER, executable by the
-- application), set_updated_at() (a trigger function: it runs in whatever
-- session updates a table) and start_flow (it names objects unqualified).

alter function ecliptix_internal.setting(text) reset search_path;
alter function ecliptix_internal.lockout_duration(int) reset search_path;
alter function ecliptix_internal.assert_not_null(anyelement, text) reset search_path;
alter function ecliptix_internal.assert_max_length(text, int, text) reset search_path;
alter function ecliptix_internal.assert_one_of(text, text[], text) reset search_path;
alter function ecliptix_internal.assert_phone_number(text, text) reset search_path;
alter function ecliptix_internal.assert_region(text, text) reset search_path;
alter function ecliptix_internal.take_guard(text) reset search_path;
-- A SQL function without a SET clause is inlined where it is called: the
-- region list becomes a constant of the caller's cached plan.
alter function ecliptix_internal.is_known_region(text) reset search_path;

-- The readers of typed settings: a value in the shapes the settings use (a
-- whole number of up to 9 digits; a number of up to 6 digits and a unit) is
-- cast directly, a cast that cannot fail; anything else is cast inside the
-- exception block as before, which turns a bad value into the same clear error.
create or replace function ecliptix_internal.setting_int(p_name text)
returns int
language plpgsql
stable
as $$
declare
  v_value text := ecliptix_internal.setting(p_name);
begin
  if v_value ~ '^\s*[+-]?[0-9]{1,9}\s*$' then
    return v_value::int;
  end if;
  return ecliptix_internal.setting_int_checked(p_name, v_value);
end;
$$;

create or replace function ecliptix_internal.setting_int_checked(p_name text, p_value text)
returns int
language plpgsql
stable
as $$
begin
  return p_value::int;
exception
  when invalid_text_representation or numeric_value_out_of_range then
    raise exception 'ecliptix setting "%" must be an integer, found "%"', p_name, p_value
      using errcode = 'invalid_parameter_value';
end;
$$;

create or replace function ecliptix_internal.setting_interval(p_name text)
returns interval
language plpgsql
stable
as $$
declare
  v_value text := ecliptix_internal.setting(p_name);
begin
  if v_value ~ '^\s*[0-9]{1,6} (second|minute|hour|day)s?\s*$' then
    return v_value::interval;
  end if;
  return ecliptix_internal.setting_interval_checked(p_name, v_value);
end;
$$;

create or replace function ecliptix_internal.setting_interval_checked(p_name text, p_value text)
returns interval
language plpgsql
stable
as $$
begin
  return p_value::interval;
exception
  when invalid_datetime_format or datetime_field_overflow or interval_field_overflow then
    raise exception 'ecliptix setting "%" must be an interval, found "%"', p_name, p_value
      using errcode = 'invalid_parameter_value';
end;
$$;

revoke all on function ecliptix_internal.setting_int_checked(text, text) from public;
revoke all on function ecliptix_internal.setting_interval_checked(text, text) from public;
