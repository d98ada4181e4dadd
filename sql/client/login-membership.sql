-- ecliptix.login_membership: $1 E.164 number.
SELECT outcome, membership_unique_id, status, secure_key, retry_after_seconds FROM ecliptix.login_membership($1::varchar);
