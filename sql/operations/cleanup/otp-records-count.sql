-- cleanup: expired, failed or verified OTP records created before $1, not yet soft-deleted.
-- Index: ix_otp_records_status_created (status, created_at) WHERE NOT is_deleted.
SELECT count(*) AS n
  FROM ecliptix.otp_records
 WHERE status IN ('expired', 'failed', 'verified') AND created_at < $1::timestamptz AND NOT is_deleted;
