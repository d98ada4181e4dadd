-- R__flow_id_proposals.sql — support for start_verification (none of the 36 objects).
-- A new flow's identifier can be proposed by the caller, so that the code the
-- application hashes before the call (bound to the flow) can be stored in the
-- same round trip (start_verification). The proposal is a transaction-local
-- setting, ecliptix.flow_id_proposal, that start_verification sets around its
-- call of initiate_verification_flow; this BEFORE INSERT trigger keeps the
-- first 16 bits the column default chose (on a cluster's partition, the
-- partition's index: docs/SCALE-OUT.md) and takes the other 112 bits from the
-- proposal. A code's hash binds those 112 bits (src/client/otp.ts), which the
-- caller knows before the call. Without the setting nothing changes.
-- Anyone who may call the routines may set the setting; it gives no more than
-- start_verification gives: choosing 112 bits of a new flow's identifier. A
-- proposal that collides with an existing flow fails with 23505, writing
-- nothing.

create or replace function ecliptix_internal.apply_flow_id_proposal()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_proposal text := current_setting('ecliptix.flow_id_proposal', true);
begin
  if v_proposal is not null and v_proposal <> '' then
    new.unique_id := encode(substring(uuid_send(new.unique_id) from 1 for 2)
                            || substring(uuid_send(v_proposal::uuid) from 3), 'hex')::uuid;
  end if;
  return new;
end;
$$;

revoke all on function ecliptix_internal.apply_flow_id_proposal() from public;

create or replace trigger trg_verification_flows_flow_id_proposal
  before insert on ecliptix.verification_flows
  for each row execute function ecliptix_internal.apply_flow_id_proposal();
