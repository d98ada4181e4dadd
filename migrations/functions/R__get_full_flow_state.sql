-- R__get_full_flow_state.sql — function ecliptix.get_full_flow_state(p_flow_unique_id uuid).
-- Original (SQL Server): dbo.GetFullFlowState.
-- Returns the active (not soft-deleted) verification flow with its phone's
-- unique_id, joined with the flow's active, unexpired OTP if any (otp_*
-- columns NULL otherwise): one row, or no row when the flow does not exist.
-- Expiry is judged by ecliptix_internal.now(); the flow is returned whatever
-- its status and expires_at.
-- PL/pgSQL rather than SQL: a SECURITY DEFINER SQL function is planned again
-- on every call (0.6 ms, twice per sign-up); PL/pgSQL keeps the plan.

create or replace function ecliptix.get_full_flow_state(p_flow_unique_id uuid)
returns table (
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
  otp_is_active   boolean
)
language plpgsql
stable
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
begin
  return query
  select f.unique_id, p.unique_id, f.app_device_id, f.connection_id, f.expires_at,
         f.status, f.purpose, f.otp_count,
         o.unique_id, o.otp_hash, o.otp_salt, o.expires_at, o.status, o.is_active
  from ecliptix.verification_flows f
  join ecliptix.phone_numbers p on p.id = f.phone_number_id
  left join lateral (
    select o.unique_id, o.otp_hash, o.otp_salt, o.expires_at, o.status, o.is_active
    from ecliptix.otp_records o
    where o.flow_unique_id = f.unique_id
      and o.is_active
      and not o.is_deleted
      and o.expires_at > ecliptix_internal.now()
    order by o.created_at desc, o.id desc
    limit 1
  ) o on true
  where f.unique_id = p_flow_unique_id
    and not f.is_deleted;
end;
$$;

revoke all on function ecliptix.get_full_flow_state(uuid) from public;
