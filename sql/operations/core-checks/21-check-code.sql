-- verify, core check: the user action "here is my code" ($1 flow unique_id), with the hash stored by the
-- previous check. Expect verified (no membership: the flow is a password recovery).
SELECT * FROM ecliptix.check_code($1::uuid, ARRAY['verify$v2$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='], NULL);
