-- copy/failed_otp_attempts.sql — loads an exported file's rows into stage_failed_otp_attempts: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_failed_otp_attempts (id, otp_unique_id, flow_unique_id, attempt_time, created_at, updated_at, is_deleted, source_line) from stdin with (format csv)
