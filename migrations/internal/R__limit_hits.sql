-- R__limit_hits.sql — support functions ecliptix_internal.calling_code and
-- ecliptix_internal.record_limit_hit (not among the 36 objects).
-- How the routines record a limit's refusals (V020 says why this way):
-- record_limit_hit counts the hit in ecliptix_internal.limit_hits and, when
-- asked, writes one event to ecliptix.event_log. Called only where a limit
-- refuses (or, for a per-flow cap or a login lockout, where it acts), as the
-- routine's last write, in the refusing transaction; never on a call that is
-- let through. Cannot raise on a routine's input: the limit name is the
-- caller's constant, the phone a row or an E.164 number the routine checked.
--
-- The limits (limit_hits.limit_name), where each is recorded, and its event:
--   flows_per_phone                initiate_verification_flow / start_verification
--                                  (start_flow): rate_limit_exceeded; limit_refused
--   otps_per_flow                  insert_otp_record, request_resend_otp:
--                                  max_otps_reached (the flow fails); limit_reached
--   otp_resend_cooldown            insert_otp_record, request_resend_otp:
--                                  resend_cooldown_active; no event (a client
--                                  asking early is ordinary; the flow's
--                                  lifetime bounds it)
--   failed_otp_checks_per_flow     update_otp_status / check_code:
--                                  max_failed_checks_reached (the flow fails); limit_reached
--   failed_otp_checks_per_phone    update_otp_status / check_code:
--                                  too_many_failed_checks within otp_check_window; limit_refused
--   consecutive_failed_otp_checks  the same, by the consecutive-failure lock; limit_refused
--   membership_attempts            create_membership (also through check_code),
--                                  update_membership_secure_key: rate_limit_exceeded; limit_refused
--   failed_logins                  the failure that starts a lockout
--                                  (record_login_attempt); lockout_started
--   login_lockout                  a call during a lockout (login_membership,
--                                  log_login_attempt: locked); no event (the
--                                  lockout's start was one)
--   key_releases                   login_membership: too_many_key_releases; limit_refused
--
-- Events (event_log.event_type; message: space-separated key=value pairs):
--   limit_refused    limit= phone_unique_id= calling_code= refused_until= —
--                    the first refusal of an episode (ecliptix_internal.limit_refusals)
--   limit_reached    limit= phone_unique_id= calling_code= flow_unique_id=
--   lockout_started  limit=failed_logins phone_unique_id= (or "none": a
--                    number with no phone row) calling_code= lockout_number=
--                    locked_until= login_attempt_id= (the row with the number,
--                    for the audit to find a number locked again)
-- Times are UTC, ISO 8601. Never a phone number: the phone by its unique_id,
-- the number by its country calling code.

-- The country calling code of an E.164 number ('+44'), by ITU-T E.164's
-- assignment: 1 and 7 are one digit; the two-digit codes are listed; every
-- other code has three digits. NULL for anything that is not E.164-shaped.
create or replace function ecliptix_internal.calling_code(p_phone_number text)
returns text
language sql
immutable
as $$
  select case
    when p_phone_number is null or p_phone_number !~ '^\+[1-9][0-9]{2,}' then null
    when substr(p_phone_number, 2, 1) in ('1', '7') then substr(p_phone_number, 1, 2)
    when substr(p_phone_number, 2, 2) in (
      '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
      '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66',
      '81', '82', '84', '86', '90', '91', '92', '93', '94', '95', '98') then substr(p_phone_number, 1, 3)
    else substr(p_phone_number, 1, 4)
  end
$$;

-- Counts one hit of p_limit for a phone (p_phone_id, else the number
-- p_phone_number: a sign-in may name a number with no phone row) at p_now.
-- p_event_type NULL: nothing else. Otherwise an event of that type, with
-- p_details appended to its message; with p_refused_until, only when this
-- refusal starts an episode of (p_limit, phone) — no row of limit_refusals
-- for them refused beyond p_now — which then lasts until p_refused_until.
create or replace function ecliptix_internal.record_limit_hit(
  p_limit          text,
  p_phone_id       bigint,
  p_phone_number   text,
  p_now            timestamptz,
  p_event_type     text default null,
  p_details        text default null,
  p_refused_until  timestamptz default null
)
returns void
language plpgsql
volatile
as $$
declare
  v_number     text := p_phone_number;
  v_phone_uid  uuid;
  v_code       text;
  v_new        boolean;
  v_slot       int;
  v_try        int;
begin
  if p_phone_id is not null then
    select p.phone_number, p.unique_id into v_number, v_phone_uid
      from ecliptix.phone_numbers p
     where p.id = p_phone_id;
  elsif p_phone_number is not null then
    select p.unique_id into v_phone_uid
      from ecliptix.phone_numbers p
     where p.phone_number = p_phone_number and not p.is_deleted;
  end if;
  v_code := ecliptix_internal.calling_code(v_number);
  if v_code is null then
    return;   -- no phone to count against (not reached from the routines)
  end if;

  -- The session's slot (V020); under REPEATABLE READ or SERIALIZABLE, a slot
  -- another session updated after this transaction's snapshot raises 40001:
  -- the hit goes to the next slot instead (a subtransaction on refused calls only).
  v_slot := pg_catalog.pg_backend_pid() % 64;
  for v_try in 0 .. 63 loop
    begin
      insert into ecliptix_internal.limit_hits as h (hour, limit_name, calling_code, slot, hits)
      values (pg_catalog.date_trunc('hour', p_now, 'UTC'), p_limit, v_code, (v_slot + v_try) % 64, 1)
      on conflict (hour, limit_name, calling_code, slot) do update set hits = h.hits + 1;
      exit;
    exception when serialization_failure then
      null;
    end;
  end loop;

  if p_event_type is null then
    return;
  end if;

  if p_refused_until is not null then
    if v_phone_uid is null then
      return;
    end if;
    insert into ecliptix_internal.limit_refusals as r (limit_name, phone_unique_id, refused_until)
    values (p_limit, v_phone_uid, p_refused_until)
    on conflict (limit_name, phone_unique_id) do update set refused_until = excluded.refused_until
      where r.refused_until <= p_now
    returning true into v_new;
    if v_new is null then
      return;   -- the episode's event is written
    end if;
  end if;

  insert into ecliptix.event_log (event_type, message, created_at)
  values (p_event_type,
          pg_catalog.concat_ws(' ',
            'limit=' || p_limit,
            'phone_unique_id=' || coalesce(v_phone_uid::text, 'none'),
            'calling_code=' || v_code,
            'refused_until=' || pg_catalog.to_char(p_refused_until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            p_details),
          p_now);
end;
$$;

revoke all on function ecliptix_internal.calling_code(text) from public;
revoke all on function ecliptix_internal.record_limit_hit(text, bigint, text, timestamptz, text, text, timestamptz) from public;
