-- verify / backup on a cluster: whether this database has ever been deployed as a partition.
SELECT to_regclass('ecliptix_partition.identity') IS NOT NULL AS identity_exists;
