-- What `test` reports about the connection.
SELECT 'PostgreSQL ' || current_setting('server_version')                            AS server_version,
       current_database()                                            AS database,
       current_user                                                  AS "user",
       has_database_privilege(current_database(), 'CREATE')          AS can_create;
