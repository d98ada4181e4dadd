-- verify, core check: store the membership's secure key ($1 membership unique_id). Expect updated.
SELECT * FROM ecliptix.update_membership_secure_key($1::uuid, '\x76657269667920736563757265206b6579'::bytea);
