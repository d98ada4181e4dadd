-- audit: the devices that started the most verification flows since $1 (at
-- most $2): flows, verified, and how many different numbers they asked codes
-- for. A device is shown by the first 8 characters of its unique_id.
SELECT left(f.app_device_id::text, 8)               AS device,
       count(*)                                      AS flows_started,
       count(*) FILTER (WHERE f.status = 'verified') AS flows_verified,
       count(DISTINCT f.phone_number_id)             AS numbers
  FROM ecliptix.verification_flows f
 WHERE f.created_at >= $1::timestamptz AND NOT f.is_deleted
 GROUP BY f.app_device_id
 ORDER BY count(*) DESC, count(DISTINCT f.phone_number_id) DESC
 LIMIT $2;
