-- 13-login-attempts.sql — sign-in attempts. IsSuccess = 1 is a confirmed
-- sign-in (it resets the lockout ladder, as the original's success did). A
-- LOCKED_UNTIL:<time> row becomes a typed lockout: locked_until = that time
-- (UTC), lockout_number = its place among the number's lockouts since its
-- last success (1, 2, …), outcome 'imported_lockout' — so a number locked
-- before the move stays locked until the same time. Attempts whose phone
-- number is not E.164 are not written (ecliptix records E.164 numbers only).
insert into ecliptix.login_attempts (attempted_at, phone_number, outcome, is_success, locked_until, lockout_number, created_at, updated_at)
select g.attempted_at at time zone 'UTC', g.phone_number,
       case when g.lock_until is null then g.outcome else 'imported_lockout' end,
       g.is_success and g.lock_until is null,
       g.lock_until at time zone 'UTC',
       case when g.lock_until is not null
            then count(g.lock_until) over (partition by g.phone_number, g.successes order by g.attempted_at, g.id)::int end,
       g.created_at at time zone 'UTC', g.updated_at at time zone 'UTC'
  from (
    select l.*,
           count(*) filter (where l.is_success and l.lock_until is null)
             over (partition by l.phone_number order by l.attempted_at, l.id) as successes
      from (select s.*, case when starts_with(s.outcome, 'LOCKED_UNTIL:') then pg_temp.import_locked_until(s.outcome) end as lock_until
              from stage_login_attempts s
             where s.phone_number ~ '^\+[1-9][0-9]{6,14}$') l
  ) g
 order by g.attempted_at, g.id
