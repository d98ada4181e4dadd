-- copy/memberships.sql — loads an exported file's rows into stage_memberships: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_memberships (id, phone_number_id, app_device_id, verification_flow_id, secure_key, status, creation_status, created_at, updated_at, is_deleted, unique_id, source_line) from stdin with (format csv)
