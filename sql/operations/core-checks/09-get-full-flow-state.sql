-- verify, core check: the flow with its active OTP ($1 flow unique_id). Expect one row.
SELECT * FROM ecliptix.get_full_flow_state($1::uuid);
