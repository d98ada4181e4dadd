-- The proxy database, part 1: PL/Proxy and the routing hashes. Idempotent.
-- Applied by deployCluster (src/cluster/deploy.ts) before the cluster
-- definition (server ecliptix) and the generated routines.
--
-- PL/Proxy picks partition (hash & (N-1)) for the int4 a RUN ON expression
-- returns. None of these hashes depends on PostgreSQL's hashtext (whose output
-- may change between major versions): md5 and the bytes of a uuid do not.

create extension if not exists plproxy;

create schema if not exists ecliptix_route;

-- The routines the application calls: generated (src/cluster/generate.ts), same names as on one database.
create schema if not exists ecliptix;

comment on schema ecliptix_route is
  'Cluster routing (docs/SCALE-OUT.md): hashes and the PL/Proxy calls behind the ecliptix routines.';

-- A phone number: the first 32 bits of md5 of the exact string, as a signed
-- int4. The routines accept only strict E.164 (ecliptix_internal.assert_phone_number),
-- so the string is already the one spelling of its number; nothing is trimmed,
-- normalised or refused here (any other spelling is refused by the partition,
-- wherever it lands). E.164 is ASCII, so the database encoding does not matter.
-- NULL routes to 0, so the partition answers it exactly as one database would.
create or replace function ecliptix_route.phone_hash(p_phone_number text)
returns int4
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(('x' || left(md5(p_phone_number), 8))::bit(32)::int4, 0)
$$;

-- An identifier a partition issued (ecliptix_partition.new_unique_id): its first
-- 16 bits, the partition index. An identifier not issued by this cluster lands
-- on some partition, which answers "not found" as one database would.
create or replace function ecliptix_route.id_hash(p_unique_id uuid)
returns int4
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select coalesce((get_byte(uuid_send(p_unique_id), 0) << 8) | get_byte(uuid_send(p_unique_id), 1), 0)
$$;

-- A device (register_app_device_if_not_exists): md5 of the device_id's
-- canonical text (lower-case, hyphenated), like a phone number.
create or replace function ecliptix_route.device_hash(p_device_id uuid)
returns int4
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select ecliptix_route.phone_hash(p_device_id::text)
$$;

-- Which partition a hash selects, as PL/Proxy computes it (for tests and operators).
create or replace function ecliptix_route.partition_of(p_hash int4, p_partition_count int)
returns int
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select p_hash & (p_partition_count - 1)
$$;

-- What the generated part (server, mapping, routines, grants) was last deployed from.
create table if not exists ecliptix_route.generated (
  singleton   boolean primary key default true check (singleton),
  digest      text not null,
  deployed_at timestamptz not null default pg_catalog.now()
);
