-- copy/verification_flows.sql — loads an exported file's rows into stage_verification_flows: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_verification_flows (id, phone_number_id, app_device_id, status, purpose, expires_at, otp_count, connection_id, created_at, updated_at, is_deleted, unique_id, source_line) from stdin with (format csv)
