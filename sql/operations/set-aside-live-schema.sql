-- verify (drift check), inside a transaction that is always rolled back:
-- moves the live schema aside so that the migration files can rebuild a
-- fresh `ecliptix` next to it. Never committed.
ALTER SCHEMA ecliptix RENAME TO ecliptix_verify_live;
