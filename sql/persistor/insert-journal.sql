-- Records one migration: $1 version, $2 description, $3 type, $4 script,
-- $5 checksum, $6 execution_ms, $7 success, $8 statements_applied (no-transaction
-- migrations, else NULL), $9 failure (a failed no-transaction migration, else NULL).
INSERT INTO persistor.schema_history (version, description, type, script, checksum, execution_ms, success, statements_applied, failure)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::integer, $9::text);
