-- R__updated_at_triggers.sql — the 9 triggers trg_<table>_updated_at.
-- Original (SQL Server): the 9 per-table UpdatedAt triggers.
-- BEFORE UPDATE FOR EACH ROW on every ecliptix table with updated_at (all but
-- event_log): sets updated_at to ecliptix_internal.now() unless the statement
-- itself changed updated_at (shared function ecliptix_internal.set_updated_at).
-- The WHEN clause makes the same test before the call, so a statement that
-- sets updated_at itself (the clean-up's batches: once per batch) calls no
-- PL/pgSQL function per row; the function keeps its own test for callers
-- that fire it some other way.

create or replace trigger trg_app_devices_updated_at
  before update on ecliptix.app_devices
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_phone_numbers_updated_at
  before update on ecliptix.phone_numbers
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_phone_number_devices_updated_at
  before update on ecliptix.phone_number_devices
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_verification_flows_updated_at
  before update on ecliptix.verification_flows
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_otp_records_updated_at
  before update on ecliptix.otp_records
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_failed_otp_attempts_updated_at
  before update on ecliptix.failed_otp_attempts
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_memberships_updated_at
  before update on ecliptix.memberships
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_membership_attempts_updated_at
  before update on ecliptix.membership_attempts
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_login_attempts_updated_at
  before update on ecliptix.login_attempts
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function ecliptix_internal.set_updated_at();
