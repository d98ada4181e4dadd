-- temp-buffers.sql — room for the staging tables in memory (a server's
-- temp_buffers default, 8 MB, sends a million staged rows to disk and back
-- for every check). Allocated only as used; allowed only before the session's
-- first temporary table, so a session that already had one keeps its setting.
do $$
begin
  perform pg_catalog.set_config('temp_buffers', '256MB', true);
exception when others then
  null;
end
$$
