-- maintain: this session's backend, so that an interrupt can cancel the statement it runs.
SELECT pg_backend_pid() AS pid;
