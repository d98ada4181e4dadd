-- keys-insert.sql — encrypted secure keys (AES-256-GCM under the current data
-- key, made by the import), by staged membership id.
insert into import_keys (id, secure_key)
select u.id, decode(u.k, 'hex')
  from unnest($1::bigint[], $2::text[]) as u (id, k)
