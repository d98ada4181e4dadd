-- cleanup: pending OTPs whose expires_at is at or before $1 (the database
-- clock at the start of the run), not soft-deleted: never entered.
-- Index: ix_otp_records_status_expires (status, expires_at) WHERE NOT is_deleted.
SELECT count(*) AS n
  FROM ecliptix.otp_records
 WHERE status = 'pending' AND expires_at <= $1::timestamptz AND NOT is_deleted;
