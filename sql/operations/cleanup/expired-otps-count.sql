-- cleanup: pending OTPs whose expires_at is at or before $1 (the database
-- clock at the start of the run), created at or before it, not soft-deleted:
-- never entered.
-- Index: ix_otp_records_created (created_at) WHERE NOT is_deleted
-- (status and expires_at are read from the rows, see expired-otps-batch.sql).
SELECT count(*) AS n
  FROM ecliptix.otp_records
 WHERE NOT is_deleted AND created_at <= $1::timestamptz
   AND status = 'pending' AND expires_at <= $1::timestamptz;
