-- V020__limit_hits_and_security_events.sql — support (none of the 36 objects):
-- ecliptix_internal.limit_hits and ecliptix_internal.limit_refusals.
-- Issue 12: the weekly security review needs every limit's hits against its
-- attempts, the lockouts started (and the numbers locked again and again), and
-- OTP conversion per country calling code. Conversion and attempts can be
-- computed from the tables themselves (flows, otp_records, failed_otp_attempts,
-- membership_attempts, login_attempts); a refused call writes no row, so its
-- hit cannot. The routines now record a refusal in the transaction that
-- refuses (ecliptix_internal.record_limit_hit, migrations/internal/R__limit_hits.sql):
--
--   * every hit is counted in limit_hits, one row per (hour, limit, country
--     calling code, slot), incremented with INSERT ... ON CONFLICT DO UPDATE.
--     The slot is the session's backend pid modulo 16: concurrent refused
--     calls from different connections mostly update different rows, so they
--     rarely wait for each other, and a connection's own earlier hits are
--     always committed before its next transaction starts, so under
--     REPEATABLE READ / SERIALIZABLE its update does not fail with 40001
--     (when another session of the same slot got there after this
--     transaction's snapshot, the hit goes to the next slot: the helper
--     catches that one error). Readers sum the slots. The rows are bounded by
--     hours x limits x calling codes x 16, whatever the number of calls: an
--     attacker hammering a refused or locked number raises a counter and adds
--     no row. The hour is on the database clock (ecliptix_internal.now()), as
--     every other time the routines write;
--   * an event is written to ecliptix.event_log only at a transition: a
--     lockout started (login_attempts), a per-flow cap that ended a flow, and
--     the first refusal of an episode of a windowed limit for a phone. The
--     episode is one row of limit_refusals per (limit, phone), holding when
--     the refusal the event reported ends (refused_until): a refusal before
--     then finds the row and writes nothing (ON CONFLICT DO UPDATE ... WHERE
--     refused_until <= now updates no row); the first one after it starts a
--     new episode. A new episode needs the limit to have let a call through
--     (a flow created, a check or attempt recorded) after the last one ended,
--     so events are bounded by the rows the limits let in.
--
-- Never a phone number: an event names the phone by its unique_id (a login
-- lockout of a number that has no phone row by its login_attempts row's id)
-- and, like limit_hits, keeps only the country calling code (1 to 3 digits,
-- shared by millions of numbers). No longer prefix is kept: within a calling
-- code, the next 3-4 digits name an operator or an area, which with a time
-- and a handful of refused numbers can point at one subscriber; SMS pumping by
-- prefix is measured from the flows and codes, which the routines already
-- keep, and which are purged by retention.
--
-- Cost: only refused calls (and the failures that start a lockout or end a
-- flow) touch these tables; a call that is let through writes nothing more.
-- A routine call records a hit of each limit at most once, as its last
-- writes, so a refused call takes a counter's row lock after its guard and
-- flow locks and never before them; calls that are let through never touch
-- a counter.
--
-- limit_refusals is unlogged, like limit_guards: after a crash it is empty,
-- and the next refusal of a running episode writes its event again — one
-- event more, never a refusal less. limit_hits is logged: it is the record.
-- Retention: the clean-up deletes limit_hits rows older than
-- event_log_retention_days (rule limit-hits) and limit_refusals rows whose
-- episode has ended (rule limit-refusals).

create table if not exists ecliptix_internal.limit_hits (
  hour         timestamptz not null,
  limit_name   text not null check (limit_name in (
                 'flows_per_phone', 'otps_per_flow', 'otp_resend_cooldown',
                 'failed_otp_checks_per_flow', 'failed_otp_checks_per_phone',
                 'consecutive_failed_otp_checks', 'membership_attempts',
                 'failed_logins', 'login_lockout', 'key_releases')),
  calling_code varchar(4) not null check (calling_code ~ '^\+[1-9][0-9]{0,2}$'),
  slot         smallint not null check (slot between 0 and 63),
  hits         bigint not null check (hits > 0),
  primary key (hour, limit_name, calling_code, slot)
);

comment on table ecliptix_internal.limit_hits is
  'Refusals (hits) per hour, limit and country calling code (sum the 64 slots), counted by the routines in the refusing transaction (V020). Bounded: no row per call.';

create unlogged table if not exists ecliptix_internal.limit_refusals (
  limit_name      text not null,
  phone_unique_id uuid not null,
  refused_until   timestamptz not null,
  primary key (limit_name, phone_unique_id)
);

comment on table ecliptix_internal.limit_refusals is
  'The refusal episode of each (windowed limit, phone) that the event log reported, until refused_until (V020): one event per episode.';
