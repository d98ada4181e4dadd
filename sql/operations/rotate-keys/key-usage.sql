-- rotate-keys: how many memberships hold a secure key under each data key id.
-- The stored layout is version (1 byte, 1) | key id length (1) | key id | IV (12) | tag (16) | ciphertext,
-- so the key id is read from the header without decrypting anything.
-- kind: 'key' (key_id is the id), 'none' (no secure key yet), 'malformed'
-- (not in that layout: the id is not reported, so no stored bytes are shown).
-- The nested CASE reads byte 1 only when there is one (length(secure_key) > 0
-- is a constraint of the table, so byte 0 always exists).
-- Soft-deleted and blocked memberships count too: their keys are encrypted
-- under a data key like any other.
SELECT c.kind, c.key_id, count(*) AS n
  FROM ecliptix.memberships m
 CROSS JOIN LATERAL (
         SELECT CASE WHEN length(m.secure_key) < 2 OR get_byte(m.secure_key, 0) <> 1 THEN NULL
                     ELSE encode(substring(m.secure_key FROM 3 FOR get_byte(m.secure_key, 1)), 'escape')
                 END AS raw_id) AS h
 CROSS JOIN LATERAL (
         SELECT CASE WHEN m.secure_key IS NULL THEN 'none'
                     WHEN h.raw_id ~ '^[A-Za-z0-9_.-]{1,32}$' AND length(m.secure_key) >= 30 + length(h.raw_id) THEN 'key'
                     ELSE 'malformed'
                 END AS kind,
                CASE WHEN h.raw_id ~ '^[A-Za-z0-9_.-]{1,32}$' AND length(m.secure_key) >= 30 + length(h.raw_id) THEN h.raw_id END AS key_id) AS c
 GROUP BY c.kind, c.key_id
 ORDER BY c.kind, c.key_id;
