-- 15-merge-events.sql — one event per merged phone, as V013 writes them (the
-- unique ids only, never the number).
insert into ecliptix.event_log (event_type, message)
select 'phone_number_merged',
       format('phone number %s merged into %s (one identity per E.164 number; import from SQL Server)', m.old_uid, m.to_uid)
  from import_phones m
 where m.merged
 order by m.old_id
