-- audit: what the limits let through since $1 — the denominators of the
-- limits' hits: flows started, codes issued, code checks (failed ones and
-- verified codes), membership attempts, sign-in attempts (key releases,
-- confirmations and failures), lockouts started, and the numbers locked more
-- than once (repeat_locked).
SELECT (SELECT count(*) FROM ecliptix.verification_flows f WHERE f.created_at >= $1::timestamptz AND NOT f.is_deleted) AS flows,
       (SELECT count(*) FROM ecliptix.otp_records o WHERE o.created_at >= $1::timestamptz AND NOT o.is_deleted)       AS codes,
       (SELECT count(*) FROM ecliptix.failed_otp_attempts a WHERE a.attempt_time >= $1::timestamptz AND NOT a.is_deleted)
         + (SELECT count(*) FROM ecliptix.otp_records o
             WHERE o.created_at >= $1::timestamptz AND NOT o.is_deleted AND o.status = 'verified')                 AS checks,
       (SELECT count(*) FROM ecliptix.membership_attempts m WHERE m.attempted_at >= $1::timestamptz AND NOT m.is_deleted) AS membership_attempts,
       (SELECT count(*) FROM ecliptix.login_attempts l WHERE l.attempted_at >= $1::timestamptz)                         AS sign_in_attempts,
       (SELECT count(*) FROM ecliptix.login_attempts l
         WHERE l.attempted_at >= $1::timestamptz AND NOT l.is_success AND l.outcome <> 'key_released')              AS failed_sign_ins,
       (SELECT count(*) FROM ecliptix.login_attempts l WHERE l.attempted_at >= $1::timestamptz AND l.locked_until IS NOT NULL) AS lockouts;
