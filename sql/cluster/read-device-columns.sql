-- The columns of ecliptix.app_devices that a copy of a device's row carries
-- (every column but identity and generated ones, which each partition fills
-- itself), in table order: what ecliptix_partition.copy_app_device is
-- generated with (src/cluster/generate.ts).
SELECT a.attname AS name
  FROM pg_catalog.pg_attribute a
 WHERE a.attrelid = 'ecliptix.app_devices'::regclass
   AND a.attnum > 0 AND NOT a.attisdropped
   AND a.attidentity = '' AND a.attgenerated = ''
 ORDER BY a.attnum;
