-- The migrator's journal: one row per applied (or baselined) migration.
-- Lives in its own schema so that `ecliptix` holds only the memberships objects.
CREATE SCHEMA IF NOT EXISTS persistor;

CREATE TABLE IF NOT EXISTS persistor.schema_history (
    installed_rank integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version        text,                      -- NULL for repeatable migrations
    description    text        NOT NULL,
    type           text        NOT NULL CHECK (type IN ('versioned', 'repeatable', 'baseline')),
    script         text        NOT NULL,
    checksum       text        NOT NULL,      -- sha256 of the file, hex
    installed_by   text        NOT NULL DEFAULT current_user,
    installed_at   timestamptz NOT NULL DEFAULT now(),
    execution_ms   integer     NOT NULL,
    success        boolean     NOT NULL       -- false only for a failed no-transaction migration
);
