-- V018__support_functions_keep_their_plans.sql — support (none of the 36 objects).
-- Issue 14: the support functions a sign-up calls most were SQL functions
-- that PostgreSQL cannot inline (SECURITY DEFINER, a SET clause, a
-- data-modifying body or a call from PL/pgSQL), so each call parsed and
-- planned its statement again: take_guard (0.17 ms a call, 6 calls per
-- sign-up), ecliptix_internal.now() (about 35 calls per sign-up: column
-- defaults, the updated_at triggers, the routines) and is_known_region.
-- As PL/pgSQL functions they keep their plans for the session; what they do
-- and return is unchanged (the same statements, the same rights and
-- search_path; now() reads the production offset, '0 seconds', without
-- calling setting_interval). Measured with track_functions = 'all' (bench/journey.ts's
-- sign-up as the user's actions, one client): 15.3 ms per sign-up before
-- this and the same change to get_full_flow_state and two helpers of
-- record_login_attempt (repeatable files), 11.9 ms after.

create or replace function ecliptix_internal.take_guard(p_key text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  with taken as (
    update ecliptix_internal.limit_guards g
       set version = g.version + 1, touched_at = pg_catalog.now()
     where g.key = p_key
    returning 1
  )
  insert into ecliptix_internal.limit_guards as g (key)
  select p_key where not exists (select from taken)
  on conflict (key) do update set version = g.version + 1, touched_at = pg_catalog.now();
end;
$$;

revoke all on function ecliptix_internal.take_guard(text) from public;

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

create or replace function ecliptix_internal.is_known_region(p_value text)
returns boolean
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return p_value = any (array[
    'AD','AE','AF','AG','AI','AL','AM','AO','AQ','AR','AS','AT','AU','AW','AX','AZ',
    'BA','BB','BD','BE','BF','BG','BH','BI','BJ','BL','BM','BN','BO','BQ','BR','BS','BT','BV','BW','BY','BZ',
    'CA','CC','CD','CF','CG','CH','CI','CK','CL','CM','CN','CO','CR','CU','CV','CW','CX','CY','CZ',
    'DE','DJ','DK','DM','DO','DZ',
    'EC','EE','EG','EH','ER','ES','ET',
    'FI','FJ','FK','FM','FO','FR',
    'GA','GB','GD','GE','GF','GG','GH','GI','GL','GM','GN','GP','GQ','GR','GS','GT','GU','GW','GY',
    'HK','HM','HN','HR','HT','HU',
    'ID','IE','IL','IM','IN','IO','IQ','IR','IS','IT',
    'JE','JM','JO','JP',
    'KE','KG','KH','KI','KM','KN','KP','KR','KW','KY','KZ',
    'LA','LB','LC','LI','LK','LR','LS','LT','LU','LV','LY',
    'MA','MC','MD','ME','MF','MG','MH','MK','ML','MM','MN','MO','MP','MQ','MR','MS','MT','MU','MV','MW','MX','MY','MZ',
    'NA','NC','NE','NF','NG','NI','NL','NO','NP','NR','NU','NZ',
    'OM',
    'PA','PE','PF','PG','PH','PK','PL','PM','PN','PR','PS','PT','PW','PY',
    'QA',
    'RE','RO','RS','RU','RW',
    'SA','SB','SC','SD','SE','SG','SH','SI','SJ','SK','SL','SM','SN','SO','SR','SS','ST','SV','SX','SY','SZ',
    'TC','TD','TF','TG','TH','TJ','TK','TL','TM','TN','TO','TR','TT','TV','TW','TZ',
    'UA','UG','UM','US','UY','UZ',
    'VA','VC','VE','VG','VI','VN','VU',
    'WF','WS',
    'YE','YT',
    'ZA','ZM','ZW',
    'AC','TA','XK',
    '001'
  ]);
end;
$$;
