-- A cluster partition: whether this database has ever been deployed as one.
SELECT to_regclass('ecliptix_partition.identity') IS NOT NULL AS identity_exists;
