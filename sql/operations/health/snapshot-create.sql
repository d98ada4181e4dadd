-- health: the table of snapshots — one small dated summary per run (sizes,
-- row counts, each check's level and number), so that each report shows the
-- change since the previous run. Created by `health` when missing, in the
-- tool's own schema beside the migrator's journal — never in a database the
-- tool has not deployed (no schema persistor: no snapshot).
CREATE TABLE IF NOT EXISTS persistor.health_snapshots (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    taken_at timestamptz NOT NULL DEFAULT now(),
    summary  jsonb       NOT NULL
);
