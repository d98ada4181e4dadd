-- Every journal row, oldest first.
SELECT installed_rank, version, description, type, script, checksum,
       installed_by, installed_at, execution_ms, success
  FROM persistor.schema_history
 ORDER BY installed_rank;
