-- import-event.sql — the import's own line in the event log (counts only).
insert into ecliptix.event_log (event_type, message) values ('ecliptix_import', $1)
