-- R__get_phone_number.sql — function ecliptix.get_phone_number(p_phone_unique_id uuid).
-- Original (SQL Server): dbo.GetPhoneNumber (core variant).
-- Returns phone_number and region of the active phone with that unique_id:
-- one row, or no row when there is no such active phone.

create or replace function ecliptix.get_phone_number(p_phone_unique_id uuid)
returns table (phone_number varchar(18), region varchar(3))
language sql
stable
security definer
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
  select p.phone_number, p.region
  from ecliptix.phone_numbers p
  where p.unique_id = p_phone_unique_id
    and not p.is_deleted
$$;

revoke all on function ecliptix.get_phone_number(uuid) from public;
