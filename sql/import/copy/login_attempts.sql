-- copy/login_attempts.sql — loads an exported file's rows into stage_login_attempts: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_login_attempts (id, attempted_at, phone_number, outcome, is_success, created_at, updated_at, source_line) from stdin with (format csv)
