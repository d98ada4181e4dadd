-- R__expire_associated_otp.sql — procedure ecliptix.expire_associated_otp.
-- Original (SQL Server): dbo.ExpireAssociatedOtp.
-- Marks the pending OTPs of an active flow expired and inactive (under a lock
-- on the flow row). Returns one row (outcome, expired_count):
--   flow_not_found (0) | expired (number of OTPs changed, possibly 0).
-- Errors: 22004 null flow id.

create or replace function ecliptix.expire_associated_otp(p_flow_unique_id uuid)
returns table (outcome text, expired_count int)
language plpgsql
volatile
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_rows int;
begin
  perform ecliptix_internal.assert_not_null(p_flow_unique_id, 'p_flow_unique_id');

  perform 1
  from ecliptix.verification_flows f
  where f.unique_id = p_flow_unique_id and not f.is_deleted
  for update;

  if not found then
    return query select 'flow_not_found'::text, 0;
    return;
  end if;

  update ecliptix.otp_records o
     set status = 'expired', is_active = false
   where o.flow_unique_id = p_flow_unique_id
     and o.status = 'pending'
     and not o.is_deleted;
  get diagnostics v_rows = row_count;

  return query select 'expired'::text, v_rows;
end;
$$;

revoke all on function ecliptix.expire_associated_otp(uuid) from public;
