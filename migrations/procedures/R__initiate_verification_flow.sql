-- R__initiate_verification_flow.sql — procedure ecliptix.initiate_verification_flow.
-- Original (SQL Server): dbo.InitiateVerificationFlow.
-- persistor:depends-on start_flow
-- Starts (or resumes) the verification of a phone for one device and purpose.
-- In order, holding the phone's limit guard (ecliptix_internal.take_guard,
-- V014: exact at every isolation level, 40001 instead of a stale count):
--   phone_number_not_found  no active phone with p_phone_unique_id
--   app_device_not_found  no active device with p_app_device_id
--   verified              a verified, unexpired flow of the same device,
--                         phone and purpose exists (Fix: never another
--                         device's or purpose's flow); that flow is returned
--   (pending flows of (device, phone, purpose) past expires_at -> expired)
--   retrieved             the live pending flow is returned
--   rate_limit_exceeded   max_flows_per_phone_per_hour flows were
--                         created for the phone within flow_rate_window;
--                         retry_after_seconds: until the oldest leaves it
--                         (checked only when a flow would be created)
--   created               a new pending flow, expiring after flow_lifetime
-- Returns one row: outcome + the columns of ecliptix.get_full_flow_state
-- (NULL when no flow is returned) + retry_after_seconds (rate limit only).
-- Errors: 22004 null device/phone/purpose; 22023 unknown purpose.
-- The body is ecliptix_internal.start_flow (internal/R__start_flow.sql),
-- which start_verification shares.

-- The result gained retry_after_seconds: CREATE OR REPLACE cannot change a
-- result type, so a function with the old result is dropped first. Only
-- then: dropping on every run would leave the function without its owner and
-- grants for a moment (see the migrator, which re-applies them in the same
-- transaction anyway).
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.initiate_verification_flow(uuid, uuid, text, bigint)')
                and pg_catalog.pg_get_function_result(oid) not like '%retry_after_seconds%') then
    drop function ecliptix.initiate_verification_flow(uuid, uuid, text, bigint);
  end if;
end
$$;

create or replace function ecliptix.initiate_verification_flow(
  p_app_device_id   uuid,
  p_phone_unique_id uuid,
  p_purpose         text,
  p_connection_id   bigint default null
)
returns table (
  outcome         text,
  flow_unique_id  uuid,
  phone_unique_id uuid,
  app_device_id   uuid,
  connection_id   bigint,
  expires_at      timestamptz,
  status          text,
  purpose         text,
  otp_count       smallint,
  otp_unique_id   uuid,
  otp_hash        text,
  otp_salt        text,
  otp_expires_at  timestamptz,
  otp_status      text,
  otp_is_active   boolean,
  retry_after_seconds int
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
begin
  return query
    select * from ecliptix_internal.start_flow(p_app_device_id, p_phone_unique_id, p_purpose, p_connection_id, null);
end;
$$;

revoke all on function ecliptix.initiate_verification_flow(uuid, uuid, text, bigint) from public;
