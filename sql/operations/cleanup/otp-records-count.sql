-- cleanup: expired, failed or verified OTP records created before $1, not yet soft-deleted.
-- $2 is for a dry run, so that it counts what the run would do after
-- expired-otps: the instant at which that rule marks pending OTPs expired (a
-- real run: '-infinity', the rule has run), so the pending OTPs it will expire
-- count as expired. (An OTP that finished-flow-otps expires before its
-- expires_at is at most a day old, as insert_otp_record allows no later
-- expiry: younger than any retention period.)
-- Index: ix_otp_records_created (created_at) WHERE NOT is_deleted (status is
-- read from the rows: V017).
SELECT count(*) AS n
  FROM ecliptix.otp_records
 WHERE (status IN ('expired', 'failed', 'verified') OR (status = 'pending' AND expires_at <= $2::timestamptz))
   AND created_at < $1::timestamptz AND NOT is_deleted;
