-- R__get_phone_number_details.sql — function ecliptix.get_phone_number_details(p_phone_unique_id uuid).
-- Original (SQL Server): dbo.GetPhoneNumber (verification variant; in the
-- original it overwrote the core variant because both had one name — Fix:
-- both exist side by side).
-- Returns phone_number, region and phone_unique_id of the active phone: one
-- row, or no row when there is no such active phone.

-- The result column unique_id became phone_unique_id (the naming convention,
-- migrations/README.md):
-- CREATE OR REPLACE cannot change a result type, so a function with the old
-- result is dropped first, and only then.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
              where oid = to_regprocedure('ecliptix.get_phone_number_details(uuid)')
                and pg_catalog.pg_get_function_result(oid) not like '%phone_unique_id%') then
    drop function ecliptix.get_phone_number_details(uuid);
  end if;
end
$$;


create or replace function ecliptix.get_phone_number_details(p_phone_unique_id uuid)
returns table (phone_number varchar(18), region varchar(3), phone_unique_id uuid)
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
