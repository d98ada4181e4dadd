-- Whether schema `ecliptix` exists (and the migrator's journal).
SELECT to_regnamespace('ecliptix') IS NOT NULL AS ecliptix_exists,
       to_regclass('persistor.schema_history') IS NOT NULL AS journal_exists;
