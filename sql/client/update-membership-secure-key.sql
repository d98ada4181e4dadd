-- ecliptix.update_membership_secure_key: $1 membership unique_id, $2 encrypted secure key, $3 proof: the verified registration or recovery flow.
SELECT outcome, membership_unique_id, status, creation_status, retry_after_seconds FROM ecliptix.update_membership_secure_key($1::uuid, $2::bytea, $3::uuid);
