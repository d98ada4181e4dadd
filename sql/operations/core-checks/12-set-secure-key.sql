-- verify, core check: store the membership's secure key, proved by the verified registration flow ($1 membership unique_id, $2 flow). Expect updated.
SELECT * FROM ecliptix.update_membership_secure_key($1::uuid, '\x76657269667920736563757265206b6579'::bytea, $2::uuid);
