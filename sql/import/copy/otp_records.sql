-- copy/otp_records.sql — loads an exported file's rows into stage_otp_records: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_otp_records (id, flow_unique_id, phone_number_id, otp_hash, otp_salt, expires_at, status, is_active, created_at, updated_at, is_deleted, unique_id, source_line) from stdin with (format csv)
