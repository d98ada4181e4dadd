-- ecliptix.insert_otp_record: $1 flow, $2 keyed hash, $3 salt, $4 lifetime in seconds (from the database clock), $5 status.
SELECT outcome, otp_unique_id, retry_after_seconds FROM ecliptix.insert_otp_record($1::uuid, $2::text, $3::text, ecliptix_internal.now() + make_interval(secs => $4::int), $5::varchar);
