-- persistor.apply_roles(owner, app, reporting): least privilege for the
-- EcliptixMemberships schema. Idempotent; `ecliptix-persistor roles` runs it,
-- and `migrate` runs it again after every deployment that changed objects
-- (a re-created function loses its grants).
--   owner      owns schemas ecliptix, ecliptix_internal, persistor and every
--              object in them; the SECURITY DEFINER routines run as it.
--   app        USAGE on ecliptix; EXECUTE on the 17 routines and on the
--              clock ecliptix_internal.now(); no privilege on any table.
--   reporting  read-only, for `status`: the journal, and every column of the
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

CREATE OR REPLACE FUNCTION persistor.apply_roles(p_owner name, p_app name, p_reporting name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    v_role name;
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

    -- Owner: the schemas and everything in them.
    FOR r IN SELECT nspname FROM pg_namespace WHERE nspname IN ('ecliptix', 'ecliptix_internal', 'persistor') LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, p_owner);
    END LOOP;
    FOR r IN
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('ecliptix', 'ecliptix_internal', 'persistor') AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', r.nspname, r.relname, p_owner);
    END LOOP;
    FOR r IN
        SELECT p.oid::regprocedure AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('ecliptix', 'ecliptix_internal') AND p.prokind = 'f'
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO %I', r.signature, p_owner);
    END LOOP;

    -- Nobody but the owner touches anything by default.
    FOREACH v_role IN ARRAY ARRAY[p_app, p_reporting] LOOP
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA ecliptix, ecliptix_internal, persistor FROM %I', v_role);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA ecliptix, ecliptix_internal, persistor FROM %I', v_role);
        EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ecliptix, ecliptix_internal FROM %I', v_role);
        EXECUTE format('REVOKE CREATE ON SCHEMA ecliptix, ecliptix_internal, persistor FROM %I', v_role);
    END LOOP;
    EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA ecliptix, ecliptix_internal, persistor FROM PUBLIC';
    EXECUTE 'REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ecliptix, ecliptix_internal FROM PUBLIC';
    EXECUTE 'REVOKE ALL ON SCHEMA ecliptix, ecliptix_internal, persistor FROM PUBLIC';

    -- Application: the routines and the clock, nothing else.
    EXECUTE format('GRANT USAGE ON SCHEMA ecliptix, ecliptix_internal TO %I', p_app);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ecliptix TO %I', p_app);
    EXECUTE format('GRANT EXECUTE ON FUNCTION ecliptix_internal.now() TO %I', p_app);

    -- Reporting: read-only, never the secrets.
    EXECUTE format('GRANT USAGE ON SCHEMA ecliptix, ecliptix_internal, persistor TO %I', p_reporting);
    EXECUTE format('GRANT SELECT ON persistor.schema_history, persistor.roles TO %I', p_reporting);
    EXECUTE format('GRANT SELECT ON ecliptix_internal.settings TO %I', p_reporting);
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
END;
$$;
