-- persistor.apply_roles(owner, app, reporting): least privilege for the
-- EcliptixMemberships schema. Idempotent; `ecliptix-persistor roles` runs it,
-- and the migrator runs it again inside the transaction of every migration it
-- applies (a re-created function belongs to the migrating user and has lost
-- its grants), so no other session ever sees an object without them.
-- Ownership is changed only where it differs: ALTER TABLE ... OWNER takes an
-- ACCESS EXCLUSIVE lock even when nothing changes, which would block (and
-- could deadlock with) the application's calls for the rest of the migration.
-- The migrator calls persistor.keep_roles(), which re-applies only when
-- persistor.roles_digest() — everything apply_roles reads or sets — differs
-- from what the last apply left; most migrations (CREATE OR REPLACE of a
-- routine) change none of it, and then cost one catalog query.
--   owner      owns schemas ecliptix, ecliptix_internal, persistor and every
--              object in them; the SECURITY DEFINER routines run as it.
--   app        USAGE on ecliptix; EXECUTE on its 19 routines (the seed's 17, the 2 user actions) and on the
--              clock ecliptix_internal.now(); no privilege on any table.
--   reporting  read-only, for `status`, `metrics` and `report`: the journal,
--              the limits' refusal counts (ecliptix_internal.limit_hits),
--              health's and audit's snapshots (persistor.health_snapshots,
--              audit_snapshots), and every column of the
--              ecliptix tables except the secrets (memberships.secure_key,
--              otp_records.otp_hash and otp_salt).
-- The roles are created NOLOGIN when missing; grant them to login users:
--   GRANT ecliptix_app TO my_service;
CREATE SCHEMA IF NOT EXISTS persistor;

CREATE TABLE IF NOT EXISTS persistor.roles (
    purpose    text PRIMARY KEY CHECK (purpose IN ('owner', 'app', 'reporting')),
    role_name  name NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- The digest of the state the last apply_roles left (one row).
CREATE TABLE IF NOT EXISTS persistor.roles_applied (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    digest     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- A fingerprint of everything apply_roles reads or changes: the three roles,
-- and the identity, kind, owner and privileges of the schemas, and of every
-- relation, column and routine in them. Keep it in step with apply_roles: whatever apply_roles
-- starts to depend on must be part of it, or keep_roles would skip a change.
-- PL/pgSQL so that its plan is cached for the session (about 1.5 ms a call
-- on the server, against 5 ms re-planned as a SQL function); the columns are
-- looked up per relation through pg_attribute's index, not by a scan of it.
CREATE OR REPLACE FUNCTION persistor.roles_digest(p_owner name, p_app name, p_reporting name)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT encode(sha256(convert_to(string_agg(item, E'\n' ORDER BY item), 'UTF8')), 'hex')
          FROM (
                SELECT format('roles %s %s %s', p_owner, p_app, p_reporting)
                UNION ALL
                SELECT format('role %s %s', r.rolname, r.oid) FROM pg_roles r WHERE r.rolname IN (p_owner, p_app, p_reporting)
                UNION ALL
                SELECT format('schema %s %s %s', n.oid, n.nspowner, n.nspacl)
                  FROM pg_namespace n WHERE n.nspname IN ('ecliptix', 'ecliptix_internal', 'persistor')
                UNION ALL
                SELECT format('relation %s %s %s %s columns %s', c.oid, c.relkind, c.relowner, c.relacl,
                              (SELECT string_agg(format('%s %s %s', a.attnum, a.attname, a.attacl), ', ' ORDER BY a.attnum)
                                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname IN ('ecliptix', 'ecliptix_internal', 'persistor') AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                UNION ALL
                SELECT format('routine %s %s %s %s', p.oid, p.prokind, p.proowner, p.proacl)
                  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname IN ('ecliptix', 'ecliptix_internal', 'persistor')
               ) AS state(item)
    );
END;
$$;

CREATE OR REPLACE FUNCTION persistor.apply_roles(p_owner name, p_app name, p_reporting name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    v_role name;
    v_owner oid;
BEGIN
    FOREACH v_role IN ARRAY ARRAY[p_owner, p_app, p_reporting] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;
    IF p_owner = p_app OR p_owner = p_reporting OR p_app = p_reporting THEN
        RAISE EXCEPTION 'the owner, application and reporting roles must be three different roles'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- Owner: the schemas and everything in them (only what someone else owns).
    SELECT oid INTO v_owner FROM pg_roles WHERE rolname = p_owner;
    FOR r IN SELECT nspname FROM pg_namespace WHERE nspname IN ('ecliptix', 'ecliptix_internal', 'persistor') AND nspowner <> v_owner LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, p_owner);
    END LOOP;
    FOR r IN
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('ecliptix', 'ecliptix_internal', 'persistor') AND c.relkind IN ('r', 'p') AND c.relowner <> v_owner
    LOOP
        EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', r.nspname, r.relname, p_owner);
    END LOOP;
    -- persistor's too (these functions): so that a member of the owner role
    -- running migrate can install a newer tool's definitions.
    FOR r IN
        SELECT p.oid::regprocedure AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('ecliptix', 'ecliptix_internal', 'persistor') AND p.prokind = 'f' AND p.proowner <> v_owner
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO %I', r.signature, p_owner);
    END LOOP;

    -- Nobody but the owner touches anything by default. One statement per
    -- kind for all grantees: each rewrites the catalog row of every object.
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA ecliptix, ecliptix_internal, persistor FROM %I, %I, PUBLIC', p_app, p_reporting);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA ecliptix, ecliptix_internal, persistor FROM %I, %I', p_app, p_reporting);
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ecliptix, ecliptix_internal FROM %I, %I, PUBLIC', p_app, p_reporting);
    EXECUTE format('REVOKE CREATE ON SCHEMA ecliptix, ecliptix_internal, persistor FROM %I, %I', p_app, p_reporting);
    EXECUTE 'REVOKE ALL ON SCHEMA ecliptix, ecliptix_internal, persistor FROM PUBLIC';

    -- Application: the routines and the clock, nothing else.
    EXECUTE format('GRANT USAGE ON SCHEMA ecliptix, ecliptix_internal TO %I', p_app);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ecliptix TO %I', p_app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION ecliptix_internal.now() TO %I', p_app);

    -- Reporting: read-only, never the secrets.
    EXECUTE format('GRANT USAGE ON SCHEMA ecliptix, ecliptix_internal, persistor TO %I', p_reporting);
    EXECUTE format('GRANT SELECT ON persistor.schema_history, persistor.roles TO %I', p_reporting);
    EXECUTE format('GRANT SELECT ON ecliptix_internal.settings TO %I', p_reporting);
    -- The limits' refusal counts (V020: hour, limit, calling code, count; no number), for metrics and report.
    IF to_regclass('ecliptix_internal.limit_hits') IS NOT NULL THEN
        EXECUTE format('GRANT SELECT ON ecliptix_internal.limit_hits TO %I', p_reporting);
    END IF;
    -- health's snapshots (figures only), created by the first health run: read by metrics and report.
    IF to_regclass('persistor.health_snapshots') IS NOT NULL THEN
        EXECUTE format('GRANT SELECT ON persistor.health_snapshots TO %I', p_reporting);
    END IF;
    IF to_regclass('persistor.audit_snapshots') IS NOT NULL THEN
        EXECUTE format('GRANT SELECT ON persistor.audit_snapshots TO %I', p_reporting);
    END IF;
    EXECUTE format('GRANT EXECUTE ON FUNCTION ecliptix_internal.now() TO %I', p_reporting);
    FOR r IN
        SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS columns
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = 'ecliptix' AND c.relkind IN ('r', 'p')
           AND (c.relname, a.attname) NOT IN (('memberships', 'secure_key'), ('otp_records', 'otp_hash'), ('otp_records', 'otp_salt'))
         GROUP BY c.relname
    LOOP
        EXECUTE format('GRANT SELECT (%s) ON ecliptix.%I TO %I', r.columns, r.relname, p_reporting);
    END LOOP;

    INSERT INTO persistor.roles (purpose, role_name) VALUES ('owner', p_owner), ('app', p_app), ('reporting', p_reporting)
    ON CONFLICT (purpose) DO UPDATE SET role_name = EXCLUDED.role_name, applied_at = now();
    INSERT INTO persistor.roles_applied (singleton, digest) VALUES (true, persistor.roles_digest(p_owner, p_app, p_reporting))
    ON CONFLICT (singleton) DO UPDATE SET digest = EXCLUDED.digest, applied_at = now();
END;
$$;

-- persistor.keep_roles(): re-applies the recorded roles when anything they
-- cover changed since the last apply (a routine dropped and re-created, a new
-- table, a grant made by hand); true when it re-applied, false when the last
-- apply still holds. Run inside the transaction that made the change.
CREATE OR REPLACE FUNCTION persistor.keep_roles()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_owner name := (SELECT role_name FROM persistor.roles WHERE purpose = 'owner');
    v_app name := (SELECT role_name FROM persistor.roles WHERE purpose = 'app');
    v_reporting name := (SELECT role_name FROM persistor.roles WHERE purpose = 'reporting');
BEGIN
    IF v_owner IS NULL OR v_app IS NULL OR v_reporting IS NULL THEN
        RAISE EXCEPTION 'persistor.roles does not name an owner, application and reporting role: run `ecliptix-persistor roles`'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM persistor.roles_applied WHERE digest = persistor.roles_digest(v_owner, v_app, v_reporting)) THEN
        RETURN false;
    END IF;
    PERFORM persistor.apply_roles(v_owner, v_app, v_reporting);
    RETURN true;
END;
$$;
