-- ecliptix.get_full_flow_state: $1 flow unique_id (no row when not found).
SELECT *, ecliptix_internal.now() AS database_now FROM ecliptix.get_full_flow_state($1::uuid);
