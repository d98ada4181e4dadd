-- verify, core check: mark the second flow failed ($1 flow unique_id). Expect updated.
SELECT * FROM ecliptix.update_verification_flow_status($1::uuid, 'failed');
