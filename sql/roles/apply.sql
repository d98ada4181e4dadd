-- $1 owner, $2 application, $3 reporting role.
SELECT persistor.apply_roles($1::name, $2::name, $3::name);
