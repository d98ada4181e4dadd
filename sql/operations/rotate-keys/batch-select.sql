-- rotate-keys: the next batch of up to $2 memberships after id $1, in key
-- (id) order, whose secure key is under one of the data key ids $3 (the
-- configured keys other than the current one), locked for this batch's
-- transaction. Rows live traffic holds locked are skipped, not waited for
-- (a later pass or run takes them). Index: the primary key.
-- The key id is read from the header as in key-usage.sql (the CASE reads
-- byte 1 only when there is one).
SELECT m.id, m.unique_id::text AS unique_id, m.secure_key
  FROM ecliptix.memberships m
 WHERE m.id > $1::bigint
   AND m.secure_key IS NOT NULL
   AND CASE WHEN length(m.secure_key) < 2 OR get_byte(m.secure_key, 0) <> 1 THEN NULL
            ELSE encode(substring(m.secure_key FROM 3 FOR get_byte(m.secure_key, 1)), 'escape')
        END = ANY ($3::text[])
 ORDER BY m.id
 LIMIT $2
   FOR UPDATE SKIP LOCKED;
