-- V018__support_functions_keep_their_plans.sql — support (none of the 36 objects).
-- Issue 14: ecliptix_internal.now(), the database clock, is called about 36
-- times per sign-up (column defaults, the updated_at triggers, the
-- routines). As a SQL function that PostgreSQL cannot inline (SECURITY
-- DEFINER, a SET clause), each call planned its statement again, and through
-- setting_interval entered an exception block (a subtransaction). As
-- PL/pgSQL it keeps its plan, with the same rights and search_path; the
-- production offset, '0 seconds', is read once and needs no check; any other
-- value, or none, goes through setting_interval as before. With take_guard
-- (V017), get_full_flow_state and two helpers of record_login_attempt
-- (repeatable files) made PL/pgSQL for the same reason: 15.3 ms per sign-up
-- (bench/journey.ts's sign-up as the user's actions, one client,
-- track_functions = 'all') before, 11.9 ms after.

create or replace function ecliptix_internal.now()
returns timestamptz
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_offset text;
begin
  -- The production value, read once, skips setting_interval's checks (and its
  -- exception block, a subtransaction per call); any other value, or none,
  -- goes through them as before.
  select s.value into v_offset from ecliptix_internal.settings s where s.name = 'clock_offset';
  if v_offset = '0 seconds' then
    return pg_catalog.now();
  end if;
  return pg_catalog.now() + ecliptix_internal.setting_interval('clock_offset');
end;
$$;

revoke all on function ecliptix_internal.now() from public;
