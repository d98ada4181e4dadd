-- report: verification conversion per region of the phone number over the
-- last $1 days (UTC days, as daily-activity.sql): flows started, of those
-- verified, and codes issued for them. The region (ISO 3166-1 alpha-2, '001'
-- for non-geographic numbers, or unknown) is the only thing said of a
-- number; the report folds the regions with few flows into 'other' (after
-- adding up a cluster's partitions), so that a small region does not single
-- out the few people in it.
WITH period AS (
  SELECT (date_trunc('day', ecliptix_internal.now() AT TIME ZONE 'UTC') - make_interval(days => $1::int - 1)) AT TIME ZONE 'UTC' AS since
  OFFSET 0
)
SELECT coalesce(p.region, 'unknown')                  AS region,
       count(*)                                       AS flows_started,
       count(*) FILTER (WHERE f.status = 'verified')  AS flows_verified,
       sum(f.otp_count)                               AS codes_issued
  FROM ecliptix.verification_flows f
  JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id, period
 WHERE f.created_at >= period.since AND NOT f.is_deleted
 GROUP BY 1;
