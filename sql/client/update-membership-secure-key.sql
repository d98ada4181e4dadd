-- ecliptix.update_membership_secure_key: $1 membership unique_id, $2 encrypted secure key.
SELECT outcome, membership_unique_id, status, creation_status FROM ecliptix.update_membership_secure_key($1::uuid, $2::bytea);
