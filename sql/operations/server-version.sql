-- backup/restore: the server's version (to pick matching pg_dump/pg_restore) and database.
SELECT current_setting('server_version_num')::int AS version_num,
       current_setting('server_version')          AS version,
       current_database()                         AS database;
