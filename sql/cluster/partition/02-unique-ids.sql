-- Partition support, part 2: identifiers that say where they live.
--
-- Every ecliptix table's unique_id default becomes
-- ecliptix_partition.new_unique_id(): a random version-4 UUID whose first 16
-- bits are this partition's index p (big-endian). The version nibble (byte 6)
-- and the variant bits (byte 8) are those of gen_random_uuid(), so it is still
-- a valid v4 UUID, with 106 random bits instead of 122:
--
--   byte  0        1        2  3  4  5   6         7   8        9 … 15
--        [p >> 8 ][p & 255][ random  ][0100 rrrr][ r ][10rr rrrr][ random ]
--
-- The proxy routes a uuid argument with ecliptix_route.id_hash(uuid) = those
-- 16 bits; PL/Proxy takes hash & (N-1) = p.

create or replace function ecliptix_partition.new_unique_id()
returns uuid
language plpgsql
volatile
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_index int;
  v_bytes bytea := uuid_send(gen_random_uuid());
begin
  select i.partition_index into v_index from ecliptix_partition.identity i;
  if v_index is null then
    raise exception 'ecliptix_partition.identity is empty: this database was never deployed as a partition'
      using errcode = 'object_not_in_prerequisite_state';
  end if;
  v_bytes := set_byte(set_byte(v_bytes, 0, v_index >> 8), 1, v_index & 255);
  return encode(v_bytes, 'hex')::uuid;
end;
$$;

comment on function ecliptix_partition.new_unique_id() is
  'A random v4 UUID whose first 16 bits are this partition''s index (docs/SCALE-OUT.md).';

-- Column defaults run with the rights of the inserting routine's owner: anyone may run it
-- (it reveals only the partition index, which every identifier carries anyway).
grant usage on schema ecliptix_partition to public;
grant execute on function ecliptix_partition.new_unique_id() to public;

-- Every ecliptix table with a uuid unique_id that has a default (app_devices,
-- phone_numbers, verification_flows, otp_records, memberships,
-- membership_attempts — and a table added later) gets the partition's
-- generator. A column already using it is left alone.
do $$
declare
  r record;
begin
  for r in
    select c.relname
      from pg_catalog.pg_attribute a
      join pg_catalog.pg_class c on c.oid = a.attrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where n.nspname = 'ecliptix' and c.relkind = 'r'
       and a.attname = 'unique_id' and a.atttypid = 'uuid'::regtype and not a.attisdropped
       and pg_catalog.pg_get_expr(d.adbin, d.adrelid) <> 'ecliptix_partition.new_unique_id()'
     order by c.relname
  loop
    execute format('alter table ecliptix.%I alter column unique_id set default ecliptix_partition.new_unique_id()', r.relname);
  end loop;
end
$$;
