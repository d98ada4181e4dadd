-- V003__phone_numbers.sql — table ecliptix.phone_numbers.
-- Original (SQL Server): dbo.PhoneNumbers.
-- E.164 phone numbers with an optional ISO 3166-1 alpha-2 region.
-- (phone_number, region) is unique among active rows, a NULL region counting
-- as one value (expression index on coalesce(region, ''), since NULLS NOT
-- DISTINCT needs PostgreSQL 15). Fix: the original's UNIQUE (..., IsDeleted)
-- forbade soft-deleting the same number twice.

create table ecliptix.phone_numbers (
  id           bigint generated always as identity primary key,
  unique_id    uuid not null default gen_random_uuid(),
  phone_number varchar(18) not null,
  region       varchar(2) null,
  created_at   timestamptz not null default ecliptix_internal.now(),
  updated_at   timestamptz not null default ecliptix_internal.now(),
  is_deleted   boolean not null default false,
  constraint phone_numbers_unique_id_key unique (unique_id),
  constraint phone_numbers_phone_number_e164_check
    check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint phone_numbers_region_check
    check (region ~ '^[A-Z]{2}$')
);

comment on table ecliptix.phone_numbers is 'Phone numbers, E.164 (SQL Server: PhoneNumbers).';

-- ensure_phone_number: INSERT ... ON CONFLICT on this index; also serves every
-- lookup by phone_number (leading column).
create unique index ux_phone_numbers_number_region_active
  on ecliptix.phone_numbers (phone_number, (coalesce(region, ''))) where not is_deleted;
