-- The migrator's journal: one row per applied (or baselined) migration.
-- Lives in its own schema so that `ecliptix` holds only the memberships objects.
CREATE SCHEMA IF NOT EXISTS persistor;

CREATE TABLE IF NOT EXISTS persistor.schema_history (
    installed_rank     integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version            text,                      -- NULL for repeatable migrations
    description        text        NOT NULL,
    type               text        NOT NULL CHECK (type IN ('versioned', 'repeatable', 'baseline')),
    script             text        NOT NULL,
    checksum           text        NOT NULL,      -- sha256 of the file, hex
    installed_by       text        NOT NULL DEFAULT current_user,
    installed_at       timestamptz NOT NULL DEFAULT now(),
    execution_ms       integer     NOT NULL,
    success            boolean     NOT NULL,      -- false only for a failed no-transaction migration
    statements_applied integer,                   -- no-transaction migrations (run statement by statement): how many succeeded
    failure            text                       -- a failed no-transaction migration: the statement that failed and why
);

-- A journal made by an earlier version lacks the last two columns: add them
-- (only then, so that a routine run takes no lock stronger than a read).
DO $persistor$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                  WHERE attrelid = 'persistor.schema_history'::regclass AND attname = 'failure' AND NOT attisdropped) THEN
    ALTER TABLE persistor.schema_history ADD COLUMN IF NOT EXISTS statements_applied integer,
                                         ADD COLUMN IF NOT EXISTS failure text;
  END IF;
END
$persistor$;
