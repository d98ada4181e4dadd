-- audit: verification flows since $1 per number prefix — the country calling
-- code and the next $2 digits (an operator's or an area's range, shared by
-- many numbers) — and per UTC day: flows started, verified, and codes issued
-- for them. The tool adds them up per calling code and per prefix, and looks
-- for prefixes with low conversion or a sudden burst (SMS pumping).
SELECT coalesce(ecliptix_internal.calling_code(p.phone_number), '+?')                                  AS calling_code,
       substr(p.phone_number, 1, length(coalesce(ecliptix_internal.calling_code(p.phone_number), '+')) + $2::int) AS prefix,
       to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')                                          AS day,
       count(*)                                                                                        AS flows_started,
       count(*) FILTER (WHERE f.status = 'verified')                                                  AS flows_verified,
       sum(f.otp_count)                                                                                AS codes_issued
  FROM ecliptix.verification_flows f
  JOIN ecliptix.phone_numbers p ON p.id = f.phone_number_id
 WHERE f.created_at >= $1::timestamptz AND NOT f.is_deleted
 GROUP BY 1, 2, 3;
