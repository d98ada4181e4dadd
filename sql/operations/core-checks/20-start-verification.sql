-- verify, core check: the user action "send me a code" — a password-recovery flow with its code's hash
-- ($1 phone number, $2 device unique_id, $3 proposed flow id). Expect code_issued.
SELECT * FROM ecliptix.start_verification($1::varchar, NULL, $2::uuid, 'password_recovery', NULL, $3::uuid,
  'verify$v2$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'verify-otp-salt', ecliptix_internal.now() + interval '5 minutes');
