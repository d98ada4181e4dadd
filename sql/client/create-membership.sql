-- ecliptix.create_membership: $1 flow, $2 connection id (nullable), $3 OTP unique_id, $4 creation status.
SELECT outcome, membership_unique_id, status, creation_status, retry_after_seconds FROM ecliptix.create_membership($1::uuid, $2::bigint, $3::uuid, $4::varchar);
