-- restore (server), run by psql inside the restore's one transaction, before
-- the backup's own script: drops each schema the backup holds (psql variable
-- :schemas, comma-separated), with everything in it — including objects made
-- after the backup (a newer migration's tables, say), which would otherwise
-- stand in the way. The backup then re-creates the schemas as they were.
SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', name) FROM unnest(string_to_array(:'schemas', ',')) AS name \gexec
