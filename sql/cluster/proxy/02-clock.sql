-- The proxy database, part 2: the clock the memberships client reads.
--
-- The client computes an OTP's expiry as ecliptix_internal.now() + lifetime and
-- reads it next to get_full_flow_state, so the proxy needs the function too. It
-- is the proxy server's transaction time: partitions' clocks are kept in step
-- by NTP, and a round trip to a partition for the time would cost as much as
-- the call itself. (A partition's ecliptix_internal.settings clock_offset, for
-- tests only, is not seen through the proxy.)

create schema if not exists ecliptix_internal;

create or replace function ecliptix_internal.now()
returns timestamptz
language sql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.now()
$$;

revoke all on function ecliptix_internal.now() from public;
