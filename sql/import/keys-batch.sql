-- keys-batch.sql — the next memberships with a secure key to encrypt, in id
-- order after $1, at most $2: the membership id (the ciphertext's associated
-- data) and the plaintext key as the original stored it.
select id, unique_id::text as unique_id, encode(secure_key, 'hex') as secure_key
  from import_memberships
 where secure_key is not null and id > $1
 order by id
 limit $2
