-- R__update_verification_flow_status.sql — procedure ecliptix.update_verification_flow_status.
-- Original (SQL Server): dbo.UpdateVerificationFlowStatus.
-- Ends a pending flow: pending -> expired or failed (e.g. the user gave up).
-- Changed against the original, which set any status (security fix): a flow
-- becomes verified only through update_otp_status, which checks the code's
-- limits — setting 'verified' here verified a phone without any code, and
-- setting a failed flow back to 'pending' re-opened it for more guesses.
-- Returns one row (outcome, rows_affected):
--   updated (1)                    pending -> expired | failed
--   updated (0)                    the flow already has that status
--   invalid_status_transition (0)  anything else ('verified', 'pending', or
--                                  leaving verified/expired/failed)
--   flow_not_found (0)
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
  v_rows   int;
  v_status text;
begin
  perform ecliptix_internal.assert_not_null(p_flow_unique_id, 'p_flow_unique_id');
  perform ecliptix_internal.assert_one_of(p_new_status,
    array['pending', 'verified', 'expired', 'failed'], 'p_new_status');

  select f.status into v_status
  from ecliptix.verification_flows f
  where f.unique_id = p_flow_unique_id and not f.is_deleted
  for update;

  if not found then
    return query select 'flow_not_found'::text, 0;
    return;
  end if;

  if v_status = p_new_status then
    return query select 'updated'::text, 0;
    return;
  end if;

  if v_status <> 'pending' or p_new_status not in ('expired', 'failed') then
    return query select 'invalid_status_transition'::text, 0;
    return;
  end if;

  update ecliptix.verification_flows f
     set status = p_new_status
   where f.unique_id = p_flow_unique_id and not f.is_deleted;
  get diagnostics v_rows = row_count;

  return query select case when v_rows > 0 then 'updated' else 'flow_not_found' end, v_rows;
end;
$$;

revoke all on function ecliptix.update_verification_flow_status(uuid, text) from public;
