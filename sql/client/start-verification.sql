-- ecliptix.start_verification: $1 E.164 number, $2 region, $3 app device, $4 purpose, $5 connection id,
-- $6 proposed flow id, $7 the code's keyed hash, $8 salt, $9 code lifetime in seconds (from the database clock).
SELECT outcome, flow_unique_id, phone_unique_id, app_device_id, connection_id, expires_at, status, purpose, otp_count,
       otp_unique_id, otp_expires_at, otp_status, retry_after_seconds
  FROM ecliptix.start_verification($1::varchar, $2::varchar, $3::uuid, $4::text, $5::bigint, $6::uuid, $7::text, $8::text,
                                   ecliptix_internal.now() + make_interval(secs => $9::int));
