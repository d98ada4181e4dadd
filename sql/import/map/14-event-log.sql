-- 14-event-log.sql — the original's events, as they were.
insert into ecliptix.event_log (event_type, message, created_at)
select s.event_type, s.message, s.created_at at time zone 'UTC'
  from stage_event_log s
 order by s.id
