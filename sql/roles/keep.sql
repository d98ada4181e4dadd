-- Re-applies the recorded roles when anything they cover changed since the last apply (see apply-roles.sql).
SELECT persistor.keep_roles() AS reapplied;
