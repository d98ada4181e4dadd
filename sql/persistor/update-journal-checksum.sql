-- repair: accepts an edited versioned migration by recording its new checksum.
-- $1 version, $2 new checksum.
UPDATE persistor.schema_history
   SET checksum = $2
 WHERE version = $1 AND type IN ('versioned', 'baseline') AND success;
