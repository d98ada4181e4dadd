-- Whether `roles` has been run on this database.
SELECT to_regclass('persistor.roles') IS NOT NULL AS configured;
