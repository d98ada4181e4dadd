-- copy/phone_number_devices.sql — loads an exported file's rows into stage_phone_number_devices: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_phone_number_devices (phone_number_id, app_device_id, is_primary, created_at, updated_at, is_deleted, source_line) from stdin with (format csv)
