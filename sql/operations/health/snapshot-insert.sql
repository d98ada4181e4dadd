-- health: keeps this run's summary ($1, jsonb).
INSERT INTO persistor.health_snapshots (summary) VALUES ($1::jsonb) RETURNING taken_at;
