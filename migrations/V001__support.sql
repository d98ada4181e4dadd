-- V001__support.sql — support objects for the ecliptix schema (none of the 36).
-- Original (SQL Server): no single counterpart; replaces the literals scattered
-- through the EcliptixMemberships procedures and the per-table UPDATE triggers'
-- shared logic.
-- Creates schema ecliptix (empty here; the 36 objects follow) and schema
-- ecliptix_internal holding: the settings table (every limit and timing, one
-- row each, changeable per database), typed accessors, the lockout ladder
-- helper, the database clock ecliptix_internal.now() (= now() + clock_offset,
-- so tests can move time without sleeping), argument-checking helpers that
-- raise with proper SQLSTATEs, and the one trigger function shared by the 9
-- updated_at triggers.

create schema if not exists ecliptix;
create schema if not exists ecliptix_internal;

comment on schema ecliptix is
  'EcliptixMemberships: exactly 10 tables, 17 routines, 9 triggers (plus their indexes and constraints).';
comment on schema ecliptix_internal is
  'Support objects for schema ecliptix: settings, clock, argument checks, trigger function.';

-- ---------------------------------------------------------------------------
-- Settings
-- ---------------------------------------------------------------------------
create table if not exists ecliptix_internal.settings (
  name        text primary key,
  value       text not null,
  description text not null
);

comment on table ecliptix_internal.settings is
  'Limits and timings used by the ecliptix routines. Change a value with UPDATE; takes effect on the next call.';

insert into ecliptix_internal.settings (name, value, description) values
  ('max_flows_per_phone_per_hour',   '30',         'Verification flows that may be created per phone number within flow_rate_window.'),
  ('flow_rate_window',               '1 hour',     'Window over which max_flows_per_phone_per_hour is counted.'),
  ('max_otps_per_flow',              '5',          'OTP records (sends) allowed per verification flow; past it the flow fails.'),
  ('otp_resend_cooldown',            '30 seconds', 'Minimum time between two OTPs of one flow.'),
  ('max_failed_otp_checks_per_flow', '5',          'Failed OTP checks after which the verification flow fails.'),
  ('max_failed_membership_attempts', '5',          'Failed membership attempts per phone within membership_attempt_window before create_membership refuses.'),
  ('membership_attempt_window',      '1 hour',     'Window over which max_failed_membership_attempts is counted.'),
  ('max_failed_logins',              '5',          'Failed logins per phone number within login_attempt_window that start a lockout.'),
  ('login_attempt_window',           '5 minutes',  'Window over which max_failed_logins is counted.'),
  ('lockout_durations',              '5 minutes,15 minutes,60 minutes',
                                                   'Progressive lockout ladder (comma-separated intervals): the Nth consecutive lockout since the last success lasts the Nth value; the last value is the cap.'),
  ('flow_lifetime',                  '1 minute',   'Lifetime of a new (pending) verification flow.'),
  ('verified_flow_lifetime',         '24 hours',   'Lifetime of a verification flow once verified.'),
  ('retention_days',                 '30',         'Age in days after which the clean-up removes/soft-deletes finished rows.'),
  ('event_log_retention_days',       '90',         'Age in days after which the clean-up deletes event_log rows.'),
  ('clock_offset',                   '0 seconds',  'Added to now() by ecliptix_internal.now(). For tests only: keep 0 seconds in production.')
on conflict (name) do nothing;

create or replace function ecliptix_internal.setting(p_name text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_value text;
begin
  select s.value into v_value from ecliptix_internal.settings s where s.name = p_name;
  if not found then
    raise exception 'ecliptix setting "%" is not defined in ecliptix_internal.settings', p_name
      using errcode = 'undefined_object';
  end if;
  return v_value;
end;
$$;

create or replace function ecliptix_internal.setting_int(p_name text)
returns int
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_value text := ecliptix_internal.setting(p_name);
begin
  return v_value::int;
exception
  when invalid_text_representation or numeric_value_out_of_range then
    raise exception 'ecliptix setting "%" must be an integer, found "%"', p_name, v_value
      using errcode = 'invalid_parameter_value';
end;
$$;

create or replace function ecliptix_internal.setting_interval(p_name text)
returns interval
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_value text := ecliptix_internal.setting(p_name);
begin
  return v_value::interval;
exception
  when invalid_datetime_format or datetime_field_overflow or interval_field_overflow then
    raise exception 'ecliptix setting "%" must be an interval, found "%"', p_name, v_value
      using errcode = 'invalid_parameter_value';
end;
$$;

-- The Nth consecutive lockout (N >= 1) lasts the Nth value of lockout_durations;
-- past the end of the list the last value applies (the cap).
create or replace function ecliptix_internal.lockout_duration(p_lockout_number int)
returns interval
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ladder text[] := string_to_array(ecliptix_internal.setting('lockout_durations'), ',');
  v_count  int := coalesce(array_length(v_ladder, 1), 0);
  v_item   text;
begin
  if v_count = 0 then
    raise exception 'ecliptix setting "lockout_durations" must list at least one interval'
      using errcode = 'invalid_parameter_value';
  end if;
  v_item := btrim(v_ladder[least(greatest(coalesce(p_lockout_number, 1), 1), v_count)]);
  return v_item::interval;
exception
  when invalid_datetime_format or datetime_field_overflow or interval_field_overflow then
    raise exception 'ecliptix setting "lockout_durations" has an invalid interval "%"', v_item
      using errcode = 'invalid_parameter_value';
end;
$$;

-- The database clock used by every ecliptix routine, column default and trigger.
create or replace function ecliptix_internal.now()
returns timestamptz
language sql
stable
as $$
  select pg_catalog.now() + ecliptix_internal.setting_interval('clock_offset')
$$;

-- ---------------------------------------------------------------------------
-- Argument checks (raise before any write, with standard SQLSTATEs)
-- ---------------------------------------------------------------------------
create or replace function ecliptix_internal.assert_not_null(p_value anyelement, p_param text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_value is null then
    raise exception '% must not be null', p_param using errcode = 'null_value_not_allowed';
  end if;
end;
$$;

create or replace function ecliptix_internal.assert_max_length(p_value text, p_max int, p_param text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_value is not null and length(p_value) > p_max then
    raise exception '% is too long: % characters, at most % allowed', p_param, length(p_value), p_max
      using errcode = 'string_data_right_truncation';
  end if;
end;
$$;

-- p_value must be one of p_allowed (NULL is refused).
create or replace function ecliptix_internal.assert_one_of(p_value text, p_allowed text[], p_param text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform ecliptix_internal.assert_not_null(p_value, p_param);
  if not (p_value = any (p_allowed)) then
    raise exception '% has unknown value "%"; expected one of: %', p_param, p_value, array_to_string(p_allowed, ', ')
      using errcode = 'invalid_parameter_value';
  end if;
end;
$$;

-- E.164: '+', a non-zero digit, then 6 to 14 digits (at most 15 digits, 16 characters).
create or replace function ecliptix_internal.assert_phone_number(p_value text, p_param text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform ecliptix_internal.assert_not_null(p_value, p_param);
  perform ecliptix_internal.assert_max_length(p_value, 18, p_param);
  if p_value !~ '^\+[1-9][0-9]{6,14}$' then
    raise exception '% is not an E.164 phone number (expected + and 7 to 15 digits): "%"', p_param, p_value
      using errcode = 'invalid_parameter_value';
  end if;
end;
$$;

-- ISO 3166-1 alpha-2 region, or NULL.
create or replace function ecliptix_internal.assert_region(p_value text, p_param text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform ecliptix_internal.assert_max_length(p_value, 2, p_param);
  if p_value is not null and p_value !~ '^[A-Z]{2}$' then
    raise exception '% must be two upper-case letters (ISO 3166-1 alpha-2) or null: "%"', p_param, p_value
      using errcode = 'invalid_parameter_value';
  end if;
end;
$$;

-- ---------------------------------------------------------------------------
-- Shared trigger function for the 9 trg_<table>_updated_at triggers
-- ---------------------------------------------------------------------------
create or replace function ecliptix_internal.set_updated_at()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  -- Keep an updated_at that the statement itself changed.
  if new.updated_at is not distinct from old.updated_at then
    new.updated_at := ecliptix_internal.now();
  end if;
  return new;
end;
$$;
