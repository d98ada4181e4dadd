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

-- The reporting role (when `roles` set the roles up) reads the snapshots for
-- metrics and report; persistor.apply_roles grants the same on its next run.
DO $$
DECLARE
    v_role name;
BEGIN
    IF to_regclass('persistor.roles') IS NOT NULL THEN
        SELECT r.role_name INTO v_role FROM persistor.roles r WHERE r.purpose = 'reporting';
        IF v_role IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('GRANT SELECT ON persistor.health_snapshots TO %I', v_role);
        END IF;
    END IF;
END
$$;
