-- R__start_flow.sql — support for initiate_verification_flow and start_verification (none of the 36 objects).
-- persistor:depends-on get_full_flow_state
-- The body of ecliptix.initiate_verification_flow (its header says what it
-- does and returns), with one more argument: p_flow_id, the identifier a new
-- flow takes (NULL: the column default, as initiate_verification_flow always
-- has). start_verification proposes one so that the application can hash the
-- code, bound to the flow, before the call. One body for both, so the two
-- paths cannot differ in a limit or an outcome. A proposal an existing flow
-- already has fails with 23505, writing nothing.

create or replace function ecliptix_internal.start_flow(
  p_app_device_id   uuid,
  p_phone_unique_id uuid,
  p_purpose         text,
  p_connection_id   bigint,
  p_flow_id         uuid
)
returns table (
  outcome         text,
  flow_unique_id  uuid,
  phone_unique_id uuid,
  app_device_id   uuid,
  connection_id   bigint,
  expires_at      timestamptz,
  status          text,
  purpose         text,
  otp_count       smallint,
  otp_unique_id   uuid,
  otp_hash        text,
  otp_salt        text,
  otp_expires_at  timestamptz,
  otp_status      text,
  otp_is_active   boolean,
  retry_after_seconds int
)
language plpgsql
volatile
set search_path = pg_catalog, ecliptix, ecliptix_internal, pg_temp
as $$
#variable_conflict use_column
declare
  v_now      timestamptz := ecliptix_internal.now();
  v_phone_id bigint;
  v_flow_uid uuid;
  v_outcome  text;
  v_count    int;
  v_oldest   timestamptz;
begin
  perform ecliptix_internal.assert_not_null(p_app_device_id, 'p_app_device_id');
  perform ecliptix_internal.assert_not_null(p_phone_unique_id, 'p_phone_unique_id');
  perform ecliptix_internal.assert_one_of(p_purpose,
    array['unspecified', 'registration', 'login', 'password_recovery', 'update_phone'], 'p_purpose');

  select p.id into v_phone_id
  from ecliptix.phone_numbers p
  where p.unique_id = p_phone_unique_id and not p.is_deleted;

  if v_phone_id is null then
    return query select 'phone_number_not_found'::text, null::uuid, null::uuid, null::uuid, null::bigint,
      null::timestamptz, null::text, null::text, null::smallint, null::uuid, null::text, null::text,
      null::timestamptz, null::text, null::boolean, null::int;
    return;
  end if;

  -- Serialises flow creation and the rate limit per phone.
  perform ecliptix_internal.take_guard('phone:' || v_phone_id);

  if not exists (select 1 from ecliptix.app_devices d
                 where d.unique_id = p_app_device_id and not d.is_deleted) then
    return query select 'app_device_not_found'::text, null::uuid, null::uuid, null::uuid, null::bigint,
      null::timestamptz, null::text, null::text, null::smallint, null::uuid, null::text, null::text,
      null::timestamptz, null::text, null::boolean, null::int;
    return;
  end if;

  -- A verified, unexpired flow of this device, phone and purpose.
  select f.unique_id into v_flow_uid
  from ecliptix.verification_flows f
  where f.app_device_id = p_app_device_id
    and f.phone_number_id = v_phone_id
    and f.purpose = p_purpose
    and f.status = 'verified'
    and f.expires_at > v_now
    and not f.is_deleted
  order by f.expires_at desc
  limit 1;

  if v_flow_uid is not null then
    v_outcome := 'verified';
  else
    -- Expire stale pending flows of this (device, phone, purpose).
    update ecliptix.verification_flows f
       set status = 'expired'
     where f.app_device_id = p_app_device_id
       and f.phone_number_id = v_phone_id
       and f.purpose = p_purpose
       and f.status = 'pending'
       and f.expires_at <= v_now
       and not f.is_deleted;

    select f.unique_id into v_flow_uid
    from ecliptix.verification_flows f
    where f.app_device_id = p_app_device_id
      and f.phone_number_id = v_phone_id
      and f.purpose = p_purpose
      and f.status = 'pending'
      and not f.is_deleted;

    if v_flow_uid is not null then
      v_outcome := 'retrieved';
    else
      select count(*), min(f.created_at) into v_count, v_oldest
      from ecliptix.verification_flows f
      where f.phone_number_id = v_phone_id
        and f.created_at > v_now - ecliptix_internal.setting_interval('flow_rate_window');

      if v_count >= ecliptix_internal.setting_int('max_flows_per_phone_per_hour') then
        -- The hit, and an event for the first refusal until a flow ages out (R__limit_hits.sql).
        perform ecliptix_internal.record_limit_hit('flows_per_phone', v_phone_id, null, v_now, 'limit_refused', null,
          coalesce(v_oldest, v_now) + ecliptix_internal.setting_interval('flow_rate_window'));
        return query select 'rate_limit_exceeded'::text, null::uuid, null::uuid, null::uuid,
          null::bigint, null::timestamptz, null::text, null::text, null::smallint, null::uuid,
          null::text, null::text, null::timestamptz, null::text, null::boolean,
          greatest(1, ceil(extract(epoch from
            v_oldest + ecliptix_internal.setting_interval('flow_rate_window') - v_now)))::int;
        return;
      end if;

      if p_flow_id is null then
        insert into ecliptix.verification_flows as f
          (phone_number_id, app_device_id, status, purpose, expires_at, otp_count, connection_id)
        values
          (v_phone_id, p_app_device_id, 'pending', p_purpose,
           v_now + ecliptix_internal.setting_interval('flow_lifetime'), 0, p_connection_id)
        returning f.unique_id into v_flow_uid;
      else
        insert into ecliptix.verification_flows as f
          (unique_id, phone_number_id, app_device_id, status, purpose, expires_at, otp_count, connection_id)
        values
          (ecliptix_internal.proposed_unique_id(p_flow_id), v_phone_id, p_app_device_id, 'pending', p_purpose,
           v_now + ecliptix_internal.setting_interval('flow_lifetime'), 0, p_connection_id)
        returning f.unique_id into v_flow_uid;
      end if;
      v_outcome := 'created';
    end if;
  end if;

  return query
    select v_outcome, s.flow_unique_id, s.phone_unique_id, s.app_device_id, s.connection_id,
           s.expires_at, s.status, s.purpose, s.otp_count, s.otp_unique_id, s.otp_hash,
           s.otp_salt, s.otp_expires_at, s.otp_status, s.otp_is_active, null::int
    from ecliptix.get_full_flow_state(v_flow_uid) s;
end;
$$;

revoke all on function ecliptix_internal.start_flow(uuid, uuid, text, bigint, uuid) from public;

-- A proposed identifier as this database issues it: unchanged on one
-- database; on a cluster's partition (docs/SCALE-OUT.md) its first 16 bits
-- become the partition's index, as ecliptix_partition.new_unique_id() makes
-- every identifier there.
create or replace function ecliptix_internal.proposed_unique_id(p_proposal uuid)
returns uuid
language plpgsql
volatile
as $$
begin
  if pg_catalog.to_regprocedure('ecliptix_partition.new_unique_id()') is null then
    return p_proposal;
  end if;
  return encode(substring(uuid_send(ecliptix_partition.new_unique_id()) from 1 for 2)
                || substring(uuid_send(p_proposal) from 3), 'hex')::uuid;
end;
$$;

revoke all on function ecliptix_internal.proposed_unique_id(uuid) from public;
