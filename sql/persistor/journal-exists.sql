-- Whether the journal has been created (status must not create it).
SELECT to_regclass('persistor.schema_history') IS NOT NULL AS journal_exists;
