-- verify, criterion 5: for the rest of this (rolled-back) transaction, act
-- as the application role $1 (SET LOCAL ROLE, parameterised).
SELECT set_config('role', $1::text, true) AS role;
