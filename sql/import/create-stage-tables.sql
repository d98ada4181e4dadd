-- create-stage-tables.sql — the staging tables of an import (one per table of
-- the original SQL Server database), temporary: they live only inside the
-- import's transaction (ON COMMIT DROP), so the original's plaintext secure
-- keys and OTP hashes they hold are never kept. Columns in the original's
-- order (src/operations/import/tables.ts), with the types the original's
-- kinds are staged as; source_line is the line of an imported file (NULL
-- when copied from a staging schema), so problems can name it.

create temporary table stage_app_devices (
  id bigint, app_instance_id uuid, device_id uuid, device_type integer,
  created_at timestamp, updated_at timestamp, is_deleted boolean, unique_id uuid,
  source_line bigint
) on commit drop;

create temporary table stage_phone_numbers (
  id bigint, phone_number text, region text,
  created_at timestamp, updated_at timestamp, is_deleted boolean, unique_id uuid,
  source_line bigint
) on commit drop;

create temporary table stage_phone_number_devices (
  phone_number_id uuid, app_device_id uuid, is_primary boolean,
  created_at timestamp, updated_at timestamp, is_deleted boolean,
  source_line bigint
) on commit drop;

create temporary table stage_verification_flows (
  id bigint, phone_number_id bigint, app_device_id uuid, status text, purpose text,
  expires_at timestamp, otp_count smallint, connection_id bigint,
  created_at timestamp, updated_at timestamp, is_deleted boolean, unique_id uuid,
  source_line bigint
) on commit drop;

create temporary table stage_otp_records (
  id bigint, flow_unique_id uuid, phone_number_id bigint, otp_hash text, otp_salt text,
  expires_at timestamp, status text, is_active boolean,
  created_at timestamp, updated_at timestamp, is_deleted boolean, unique_id uuid,
  source_line bigint
) on commit drop;

create temporary table stage_failed_otp_attempts (
  id bigint, otp_unique_id uuid, flow_unique_id uuid, attempt_time timestamp,
  created_at timestamp, updated_at timestamp, is_deleted boolean,
  source_line bigint
) on commit drop;

create temporary table stage_memberships (
  id bigint, phone_number_id uuid, app_device_id uuid, verification_flow_id uuid,
  secure_key bytea, status text, creation_status text,
  created_at timestamp, updated_at timestamp, is_deleted boolean, unique_id uuid,
  source_line bigint
) on commit drop;

create temporary table stage_membership_attempts (
  id bigint, phone_number_id uuid, attempted_at timestamp, outcome text, is_success boolean,
  created_at timestamp, updated_at timestamp, is_deleted boolean,
  source_line bigint
) on commit drop;

create temporary table stage_login_attempts (
  id bigint, attempted_at timestamp, phone_number text, outcome text, is_success boolean,
  created_at timestamp, updated_at timestamp,
  source_line bigint
) on commit drop;

create temporary table stage_event_log (
  id bigint, event_type text, message text, created_at timestamp,
  source_line bigint
) on commit drop;

-- LOCKED_UNTIL:<time> in a login attempt's outcome, as a timestamp, or NULL
-- when it is not a valid one (the original wrote SQL Server style 127,
-- 2025-09-15T10:35:00.1234567; a calendar date that does not exist is NULL).
-- No exception block (a subtransaction per call): each part is checked first.
create or replace function pg_temp.import_locked_until(p_outcome text)
returns timestamp
language plpgsql
immutable
as $$
declare
  m text[];
begin
  if p_outcome is null or left(p_outcome, 13) <> 'LOCKED_UNTIL:' then
    return null;
  end if;
  m := pg_catalog.regexp_match(p_outcome, '^LOCKED_UNTIL:(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,7})?Z?$');
  if m is null or m[1]::int < 1 or m[2]::int not between 1 and 12 then
    return null;
  end if;
  if m[3]::int not between 1 and extract(day from make_date(m[1]::int, m[2]::int, 1) + interval '1 month - 1 day')
     or m[4]::int > 23 or m[5]::int > 59 or m[6]::int > 59 then
    return null;
  end if;
  return make_timestamp(m[1]::int, m[2]::int, m[3]::int, m[4]::int, m[5]::int, (m[6] || coalesce(m[7], ''))::double precision);
end;
$$;
