-- A cluster partition: which partition this database says it is
-- (ecliptix_partition.identity, set once by the deployment). Run only where
-- partition-identity-exists.sql found the table.
SELECT i.partition_index, i.partition_count FROM ecliptix_partition.identity i;
