-- R__update_verification_flow_status.sql — procedure ecliptix.update_verification_flow_status.
-- Original (SQL Server): dbo.UpdateVerificationFlowStatus.
-- Sets the status of an active flow; 'verified' also sets expires_at to
-- now + verified_flow_lifetime. No transition rules are enforced (this is the
-- administrative setter; update_otp_status is the guarded path).
-- Returns one row (outcome, rows_affected): updated (1) | flow_not_found (0)
-- | pending_flow_exists (0): back to 'pending' while another pending flow of
-- the same device, phone and purpose is live (at most one may be).
-- Errors: 22004 null argument; 22023 unknown status.

create or replace function ecliptix.update_verification_flow_status(
  p_flow_unique_id uuid,
  p_new_status     text
)
returns table (outcome text, rows_affected int)
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
  perform ecliptix_internal.assert_one_of(p_new_status,
    array['pending', 'verified', 'expired', 'failed'], 'p_new_status');

  if p_new_status = 'pending' and exists (
       select 1
         from ecliptix.verification_flows f
         join ecliptix.verification_flows other
           on other.app_device_id = f.app_device_id
          and other.phone_number_id = f.phone_number_id
          and other.purpose = f.purpose
          and other.status = 'pending'
          and not other.is_deleted
          and other.id <> f.id
        where f.unique_id = p_flow_unique_id and not f.is_deleted) then
    return query select 'pending_flow_exists'::text, 0;
    return;
  end if;

  update ecliptix.verification_flows f
     set status = p_new_status,
         expires_at = case when p_new_status = 'verified'
                           then ecliptix_internal.now() + ecliptix_internal.setting_interval('verified_flow_lifetime')
                           else f.expires_at end
   where f.unique_id = p_flow_unique_id and not f.is_deleted;
  get diagnostics v_rows = row_count;

  return query select case when v_rows > 0 then 'updated' else 'flow_not_found' end, v_rows;
end;
$$;

revoke all on function ecliptix.update_verification_flow_status(uuid, text) from public;
