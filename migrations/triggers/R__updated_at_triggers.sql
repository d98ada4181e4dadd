-- R__updated_at_triggers.sql — the 9 triggers trg_<table>_updated_at.
-- Original (SQL Server): the 9 per-table UpdatedAt triggers.
-- BEFORE UPDATE FOR EACH ROW on every ecliptix table with updated_at (all but
-- event_log): sets updated_at to ecliptix_internal.now() unless the statement
-- itself changed updated_at (shared function ecliptix_internal.set_updated_at).

create or replace trigger trg_app_devices_updated_at
  before update on ecliptix.app_devices
  for each row execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_phone_numbers_updated_at
  before update on ecliptix.phone_numbers
  for each row execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_phone_number_devices_updated_at
  before update on ecliptix.phone_number_devices
  for each row execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_verification_flows_updated_at
  before update on ecliptix.verification_flows
  for each row execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_otp_records_updated_at
  before update on ecliptix.otp_records
  for each row execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_failed_otp_attempts_updated_at
  before update on ecliptix.failed_otp_attempts
  for each row execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_memberships_updated_at
  before update on ecliptix.memberships
  for each row execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_membership_attempts_updated_at
  before update on ecliptix.membership_attempts
  for each row execute function ecliptix_internal.set_updated_at();

create or replace trigger trg_login_attempts_updated_at
  before update on ecliptix.login_attempts
  for each row execute function ecliptix_internal.set_updated_at();
