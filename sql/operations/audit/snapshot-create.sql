-- audit: the table of its snapshots — one small dated summary per review
-- (the period, the counts, each limit's refused calls), so that each review
-- shows the change since the previous one. Created by `audit` when missing, in
-- the tool's schema beside the journal and health's snapshots.
CREATE TABLE IF NOT EXISTS persistor.audit_snapshots (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    taken_at timestamptz NOT NULL DEFAULT now(),
    summary  jsonb       NOT NULL
);

-- The reporting role (when `roles` set the roles up) may read them; persistor.apply_roles grants the same.
DO $$
DECLARE
    v_role name;
BEGIN
    IF to_regclass('persistor.roles') IS NOT NULL THEN
        SELECT r.role_name INTO v_role FROM persistor.roles r WHERE r.purpose = 'reporting';
        IF v_role IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('GRANT SELECT ON persistor.audit_snapshots TO %I', v_role);
        END IF;
    END IF;
END
$$;
