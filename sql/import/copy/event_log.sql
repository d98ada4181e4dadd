-- copy/event_log.sql — loads an exported file's rows into stage_event_log: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_event_log (id, event_type, message, created_at, source_line) from stdin with (format csv)
