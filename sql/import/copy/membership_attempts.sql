-- copy/membership_attempts.sql — loads an exported file's rows into stage_membership_attempts: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_membership_attempts (id, phone_number_id, attempted_at, outcome, is_success, created_at, updated_at, is_deleted, source_line) from stdin with (format csv)
