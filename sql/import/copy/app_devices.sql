-- copy/app_devices.sql — loads an exported file's rows into stage_app_devices: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_app_devices (id, app_instance_id, device_id, device_type, created_at, updated_at, is_deleted, unique_id, source_line) from stdin with (format csv)
