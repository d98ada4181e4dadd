-- audit: keeps this review's summary ($1, jsonb) and the newest $2 only.
WITH kept AS (
  INSERT INTO persistor.audit_snapshots (summary) VALUES ($1::jsonb) RETURNING id, taken_at
), pruned AS (
  DELETE FROM persistor.audit_snapshots
   WHERE id IN (SELECT id FROM persistor.audit_snapshots ORDER BY taken_at DESC, id DESC OFFSET greatest($2::int - 1, 0))
)
SELECT taken_at FROM kept;
