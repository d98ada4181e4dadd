-- Partition support, part 1: which partition this database is.
-- Applied by deployCluster (src/cluster/deploy.ts) after the shipped migrations,
-- on every partition database, under the migrator's run lock. Idempotent.
--
-- ecliptix_partition.identity holds one row: this database's index p
-- (0 … N-1) and the partition count N (a power of two). It is set once, by
-- ecliptix_partition.claim_identity(p, N); a later deployment that names this
-- database with another index or count is refused — which is how partition
-- URLs listed in another order than before are caught.

create schema if not exists ecliptix_partition;

comment on schema ecliptix_partition is
  'Cluster partition support (docs/SCALE-OUT.md): this database''s partition index, identifier generation, device copies.';

create table if not exists ecliptix_partition.identity (
  singleton       boolean primary key default true check (singleton),
  partition_index int not null,
  partition_count int not null,
  claimed_at      timestamptz not null default pg_catalog.now(),
  constraint identity_count_power_of_two
    check (partition_count between 1 and 65536 and (partition_count & (partition_count - 1)) = 0),
  constraint identity_index_in_range check (partition_index >= 0 and partition_index < partition_count)
);

comment on table ecliptix_partition.identity is
  'This partition''s index and the cluster''s partition count, set once by claim_identity.';

-- Sets the identity on first use; afterwards only confirms it. Refuses (55000,
-- object_not_in_prerequisite_state) another index or count.
create or replace function ecliptix_partition.claim_identity(p_index int, p_count int)
returns text
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_index int;
  v_count int;
begin
  -- Two deployments racing on one database: the first insert wins, the other confirms or is refused.
  insert into ecliptix_partition.identity (partition_index, partition_count)
  values (p_index, p_count)
  on conflict (singleton) do nothing;
  if found then
    return 'claimed';
  end if;
  select i.partition_index, i.partition_count into strict v_index, v_count
  from ecliptix_partition.identity i;
  if v_index <> p_index or v_count <> p_count then
    raise exception 'this database is partition % of %, not partition % of %', v_index, v_count, p_index, p_count
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'list the partition URLs in the order they were first deployed';
  end if;
  return 'confirmed';
end;
$$;

revoke all on function ecliptix_partition.claim_identity(int, int) from public;
