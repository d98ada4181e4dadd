-- health: whether pg_stat_statements is installed in this database (its version), or no row.
SELECT extversion AS version FROM pg_extension WHERE extname = 'pg_stat_statements';
