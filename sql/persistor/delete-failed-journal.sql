-- repair: forgets failed (no-transaction) migrations so they can be run again.
DELETE FROM persistor.schema_history WHERE NOT success RETURNING version, description, script;
