-- V021__settings_fast_path_ascii_only.sql — support (none of the 36 objects).
-- V019's fast path of the typed settings readers matched `\s`, which under a
-- Unicode collation (the server's C.UTF-8, ICU) also matches Unicode spaces
-- (U+2003, U+00A0) that the int and interval input functions do not skip: a
-- value such as '5<U+2003>' passed the fast path and failed with the bare cast
-- error instead of the setting's own message. Only ASCII spaces and tabs now
-- take the fast path; everything else goes through the checked cast as
-- before. Also revokes EXECUTE from PUBLIC on the support functions V001 and
-- V013 created without it (persistor.apply_roles already does, when roles
-- are set up; now a database without them is the same).
create or replace function ecliptix_internal.setting_int(p_name text)
returns int
language plpgsql
stable
as $$
declare
  v_value text := ecliptix_internal.setting(p_name);
begin
  if v_value ~ '^[ \t]*[+-]?[0-9]{1,9}[ \t]*$' then
    return v_value::int;
  end if;
  return ecliptix_internal.setting_int_checked(p_name, v_value);
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
  if v_value ~ '^[ \t]*[0-9]{1,6} (second|minute|hour|day)s?[ \t]*$' then
    return v_value::interval;
  end if;
  return ecliptix_internal.setting_interval_checked(p_name, v_value);
end;
$$;

revoke all on function ecliptix_internal.setting(text) from public;
revoke all on function ecliptix_internal.setting_int(text) from public;
revoke all on function ecliptix_internal.setting_interval(text) from public;
revoke all on function ecliptix_internal.lockout_duration(int) from public;
revoke all on function ecliptix_internal.assert_not_null(anyelement, text) from public;
revoke all on function ecliptix_internal.assert_max_length(text, int, text) from public;
revoke all on function ecliptix_internal.assert_one_of(text, text[], text) from public;
revoke all on function ecliptix_internal.assert_phone_number(text, text) from public;
revoke all on function ecliptix_internal.assert_region(text, text) from public;
revoke all on function ecliptix_internal.is_known_region(text) from public;
revoke all on function ecliptix_internal.take_guard(text) from public;
