-- ecliptix.check_code: $1 flow, $2 the code's hash under each OTP key (one per key id), $3 connection id.
SELECT outcome, purpose, otp_unique_id, membership_outcome, membership_unique_id, membership_status, creation_status, retry_after_seconds
  FROM ecliptix.check_code($1::uuid, $2::text[], $3::bigint);
