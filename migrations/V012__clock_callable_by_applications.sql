-- V012__clock_callable_by_applications.sql — support (none of the 36 objects).
-- The memberships client computes OTP expiry and flow expiry on the database
-- clock, ecliptix_internal.now(). Under least privilege the application role
-- may execute routines but read no table, and now() reads the clock_offset
-- setting: so now() runs with its owner's rights, with a pinned search_path.
alter function ecliptix_internal.now() security definer;
alter function ecliptix_internal.now() set search_path = pg_catalog, pg_temp;
revoke all on function ecliptix_internal.now() from public;
