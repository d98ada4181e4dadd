-- doctor: whether the routines' event log exists (a database deployed only in part may lack it).
SELECT to_regclass('ecliptix.event_log') IS NOT NULL AS event_log_exists;
