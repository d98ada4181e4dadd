-- ecliptix.update_verification_flow_status: $1 flow unique_id, $2 new status.
SELECT outcome, rows_affected FROM ecliptix.update_verification_flow_status($1::uuid, $2::varchar);
