-- V011__event_log.sql — table ecliptix.event_log.
-- Original (SQL Server): dbo.EventLog.
-- Append-only log of notable events; no updated_at (hence no trigger).
-- Rows older than event_log_retention_days are deleted by the clean-up.

create table ecliptix.event_log (
  id         bigint generated always as identity primary key,
  event_type varchar(50) not null,
  message    text not null,
  created_at timestamptz not null default ecliptix_internal.now()
);

comment on table ecliptix.event_log is 'Append-only event log (SQL Server: EventLog).';

-- Retention clean-up; recent activity.
create index ix_event_log_created_at
  on ecliptix.event_log (created_at);
