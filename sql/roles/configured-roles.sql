-- The role names `roles` recorded (run only when persistor.roles exists: see roles-exist.sql).
SELECT purpose, role_name FROM persistor.roles;
