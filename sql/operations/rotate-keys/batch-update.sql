-- rotate-keys: write the re-encrypted secure keys of one batch back. $1 ids,
-- $2 the ciphertexts as read (hex), $3 the new ciphertexts (hex), in the
-- same order. A row is written only if it still holds the ciphertext that was
-- read, so a key the application stored meanwhile always wins.
-- updated_at is the database clock read once per batch (the trigger keeps a
-- value the statement set, instead of reading the clock for every row).
-- Returns n, the number of rows written.
WITH written AS (
  UPDATE ecliptix.memberships m
     SET secure_key = decode(v.new_key, 'hex'),
         updated_at = (SELECT ecliptix_internal.now())
    FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, old_key, new_key)
   WHERE m.id = v.id
     AND m.secure_key = decode(v.old_key, 'hex')
  RETURNING m.id
)
SELECT count(*) AS n FROM written;
