-- verify, criterion 5: the role the application connects as ($1, or the
-- connected user when NULL): does it exist, and may this session act as it?
SELECT coalesce($1::text, current_user::text)                         AS role_name,
       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = coalesce($1::text, current_user::text)) AS role_exists,
       current_user::text                                              AS connected_as;
