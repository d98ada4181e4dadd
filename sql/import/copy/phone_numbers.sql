-- copy/phone_numbers.sql — loads an exported file's rows into stage_phone_numbers: the import
-- writes them as PostgreSQL CSV, each value already checked and normalised,
-- with the file's line number last.
copy stage_phone_numbers (id, phone_number, region, created_at, updated_at, is_deleted, unique_id, source_line) from stdin with (format csv)
