-- Every journal row, oldest first. statements_applied and failure are read
-- through to_jsonb so that a journal made by an earlier version (without
-- them) reads too: `status` never alters the journal.
SELECT installed_rank, version, description, type, script, checksum,
       installed_by, installed_at, execution_ms, success,
       (to_jsonb(h) ->> 'statements_applied')::integer AS statements_applied,
       to_jsonb(h) ->> 'failure' AS failure
  FROM persistor.schema_history h
 ORDER BY installed_rank;
