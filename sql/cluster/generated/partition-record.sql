-- Records what the partition's generated part was deployed from ($1: the script's digest).
INSERT INTO ecliptix_partition.generated (digest) VALUES ($1)
ON CONFLICT (singleton) DO UPDATE SET digest = excluded.digest, deployed_at = pg_catalog.now();
