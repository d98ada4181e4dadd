-- R__get_phone_number_details.sql — function ecliptix.get_phone_number_details(p_phone_unique_id uuid).
-- Original (SQL Server): dbo.GetPhoneNumber (verification variant; in the
-- original it overwrote the core variant because both had one name — Fix:
-- both exist side by side).
-- Returns phone_number, region and unique_id of the active phone: one row, or
-- no row when there is no such active phone.

create or replace function ecliptix.get_phone_number_details(p_phone_unique_id uuid)
returns table (phone_number varchar(18), region varchar(2), unique_id uuid)
language sql
stable
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
  select p.phone_number, p.region, p.unique_id
  from ecliptix.phone_numbers p
  where p.unique_id = p_phone_unique_id
    and not p.is_deleted
$$;

revoke all on function ecliptix.get_phone_number_details(uuid) from public;
